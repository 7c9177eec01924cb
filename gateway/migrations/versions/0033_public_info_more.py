"""public information, more: a certificate download can be rated (好差评, LD/T 01 7), once per certificate

Revision ID: 0033_public_info_more
Revises: 0032_knowledge_entries
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0033_public_info_more"
down_revision = "0032_knowledge_entries"
branch_labels = None
depends_on = None

OLD = ("application", "appointment")
NEW = (*OLD, "certificate")


def upgrade() -> None:
    with op.batch_alter_table("info_evaluation", schema=None) as batch_op:
        batch_op.alter_column(
            "subject",
            existing_type=sa.Enum(*OLD, name="evaluationsubject", native_enum=False, length=16),
            type_=sa.Enum(*NEW, name="evaluationsubject", native_enum=False, length=16),
            existing_nullable=False,
        )


def downgrade() -> None:
    # A follow-up belongs to its rating: both go when the kind of rating they are about goes.
    op.execute(
        "DELETE FROM info_follow_up WHERE evaluation_id IN "
        "(SELECT id FROM info_evaluation WHERE subject = 'certificate')"
    )
    op.execute("DELETE FROM info_evaluation WHERE subject = 'certificate'")
    with op.batch_alter_table("info_evaluation", schema=None) as batch_op:
        batch_op.alter_column(
            "subject",
            existing_type=sa.Enum(*NEW, name="evaluationsubject", native_enum=False, length=16),
            type_=sa.Enum(*OLD, name="evaluationsubject", native_enum=False, length=16),
            existing_nullable=False,
        )
