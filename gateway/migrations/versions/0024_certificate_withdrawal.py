"""certificate withdrawal: a certificate stays valid when another copy is downloaded; its holder may withdraw
it with a reason (status ``withdrawn``, the time and the reason kept)

Revision ID: 0024_certificate_withdrawal
Revises: 0023_staff_hall
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_certificate_withdrawal"
down_revision = "0023_staff_hall"
branch_labels = None
depends_on = None

OLD = ("valid", "expired", "revoked_superseded")
NEW = (*OLD, "withdrawn")


def upgrade() -> None:
    with op.batch_alter_table("esign_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawal_reason", sa.String(length=200), nullable=True))
        batch_op.alter_column(
            "status",
            existing_type=sa.Enum(*OLD, name="codestatus", native_enum=False, length=24),
            type_=sa.Enum(*NEW, name="codestatus", native_enum=False, length=24),
            existing_nullable=False,
        )


def downgrade() -> None:
    op.execute("UPDATE esign_documents SET status = 'revoked_superseded' WHERE status = 'withdrawn'")
    with op.batch_alter_table("esign_documents", schema=None) as batch_op:
        batch_op.alter_column(
            "status",
            existing_type=sa.Enum(*NEW, name="codestatus", native_enum=False, length=24),
            type_=sa.Enum(*OLD, name="codestatus", native_enum=False, length=24),
            existing_nullable=False,
        )
        batch_op.drop_column("withdrawal_reason")
        batch_op.drop_column("withdrawn_at")
