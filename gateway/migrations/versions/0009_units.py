"""units: unit accounts, their certificates and clerks, certificate-login challenges, unit audit trail

Revision ID: 0009_units
Revises: 0007_merge
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = "0009_units"
down_revision = "0007_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unit_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('legal_rep_enc', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_account')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_unit_account_credit_code'))
    )
    op.create_table('unit_challenge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_challenge')),
    sa.UniqueConstraint('nonce_digest', name=op.f('uq_unit_challenge_nonce_digest'))
    )
    op.create_index(op.f('ix_unit_challenge_expires_at'), 'unit_challenge', ['expires_at'], unique=False)
    op.create_table('unit_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('issuer_digest', sa.String(length=64), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('serial', sa.String(length=64), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit_account.id'], name=op.f('fk_unit_certificate_unit_id_unit_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_certificate')),
    sa.UniqueConstraint('issuer_digest', 'serial', name='uq_unit_certificate_issuer_serial')
    )
    op.create_index(op.f('ix_unit_certificate_unit_id'), 'unit_certificate', ['unit_id'], unique=False)
    op.create_table('unit_clerk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('id_digest', sa.String(length=64), nullable=False),
    sa.Column('id_number_enc', sa.String(length=255), nullable=False),
    sa.Column('name_enc', sa.String(length=255), nullable=False),
    sa.Column('grants_csv', sa.String(length=160), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['unit_account.id'], name=op.f('fk_unit_clerk_unit_id_unit_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_clerk'))
    )
    op.create_index('ix_unit_clerk_person', 'unit_clerk', ['id_digest', 'revoked_at'], unique=False)
    op.create_index(op.f('ix_unit_clerk_unit_id'), 'unit_clerk', ['unit_id'], unique=False)
    op.create_table('unit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('login', 'login_refused', 'logout', 'clerk_added', 'clerk_revoked', 'acting_started', 'acting_stopped', 'access_denied', 'query', name='uniteventkind', native_enum=False, length=24), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('actor_person_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('detail', sa.String(length=255), nullable=True),
    sa.Column('ip_masked', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_person_id'], ['person.id'], name=op.f('fk_unit_event_actor_person_id_person')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit_account.id'], name=op.f('fk_unit_event_unit_id_unit_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_event'))
    )
    op.create_index(op.f('ix_unit_event_created_at'), 'unit_event', ['created_at'], unique=False)
    op.create_index(op.f('ix_unit_event_unit_id'), 'unit_event', ['unit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_unit_event_unit_id'), table_name='unit_event')
    op.drop_index(op.f('ix_unit_event_created_at'), table_name='unit_event')
    op.drop_table('unit_event')
    op.drop_index(op.f('ix_unit_clerk_unit_id'), table_name='unit_clerk')
    op.drop_index('ix_unit_clerk_person', table_name='unit_clerk')
    op.drop_table('unit_clerk')
    op.drop_index(op.f('ix_unit_certificate_unit_id'), table_name='unit_certificate')
    op.drop_table('unit_certificate')
    op.drop_index(op.f('ix_unit_challenge_expires_at'), table_name='unit_challenge')
    op.drop_table('unit_challenge')
    op.drop_table('unit_account')
