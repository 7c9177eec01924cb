"""esign: issued documents with anti-forgery code hashes

Revision ID: 0003_esign
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_esign"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('esign_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('person_proof', 'contribution_record', 'benefit_payments', 'unit_proof', name='documentkind', native_enum=False, length=32), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('holder_masked', sa.String(length=200), nullable=False),
    sa.Column('holder_digest', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('valid', 'expired', 'revoked_superseded', name='codestatus', native_enum=False, length=24), nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('seal_serial', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_esign_documents')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_esign_documents_code_hash'))
    )
    with op.batch_alter_table('esign_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_esign_documents_fingerprint'), ['fingerprint'], unique=False)
        batch_op.create_index('ix_esign_documents_holder_kind', ['holder_digest', 'kind', 'scope'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('esign_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_esign_documents_holder_kind')
        batch_op.drop_index(batch_op.f('ix_esign_documents_fingerprint'))
    op.drop_table('esign_documents')
