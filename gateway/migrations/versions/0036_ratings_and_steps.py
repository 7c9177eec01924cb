"""A closed mailbox case and a finished live chat can be rated (好差评, LD/T 01 7), and an application
counts the steps its applicant took before submission (the ease figures of LD/T 01 7)

Revision ID: 0036_ratings_and_steps
Revises: 0035_chat_presence_retention
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0036_ratings_and_steps"
down_revision = "0035_chat_presence_retention"
branch_labels = None
depends_on = None

OLD = ("application", "appointment", "certificate")
NEW = (*OLD, "consultation", "chat")


def upgrade() -> None:
    with op.batch_alter_table("info_evaluation", schema=None) as batch_op:
        batch_op.alter_column(
            "subject",
            existing_type=sa.Enum(*OLD, name="evaluationsubject", native_enum=False, length=16),
            type_=sa.Enum(*NEW, name="evaluationsubject", native_enum=False, length=16),
            existing_nullable=False,
        )
    # Rows from before are left NULL (not counted), not 0: an unknown count must not pull the median down.
    with op.batch_alter_table("app_application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("steps", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_application", schema=None) as batch_op:
        batch_op.drop_column("steps")
    # A follow-up belongs to its rating: both go when the kind of rating they are about goes.
    op.execute(
        "DELETE FROM info_follow_up WHERE evaluation_id IN "
        "(SELECT id FROM info_evaluation WHERE subject IN ('consultation', 'chat'))"
    )
    op.execute("DELETE FROM info_evaluation WHERE subject IN ('consultation', 'chat')")
    with op.batch_alter_table("info_evaluation", schema=None) as batch_op:
        batch_op.alter_column(
            "subject",
            existing_type=sa.Enum(*NEW, name="evaluationsubject", native_enum=False, length=16),
            type_=sa.Enum(*OLD, name="evaluationsubject", native_enum=False, length=16),
            existing_nullable=False,
        )
