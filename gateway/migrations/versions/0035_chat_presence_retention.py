"""retention of live-chat transcripts and mailbox cases: when each one's personal content was cleared
(``chat_conversation.purged_at``, ``consult_case.purged_at``); the rest — number, kind, times, outcome status —
stays for the statistics and for following the case by its number; and whether each live-chat agent is
available or away (``chat_agent_presence``), so a person is told whether anyone is online

Revision ID: 0035_chat_presence_retention
Revises: 0034_item_forms
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0035_chat_presence_retention"
down_revision = "0034_item_forms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_agent_presence",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_account.id"]),
        sa.PrimaryKeyConstraint("staff_id"),
    )
    with op.batch_alter_table("chat_conversation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("consult_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("consult_case", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
    with op.batch_alter_table("chat_conversation", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
    op.drop_table("chat_agent_presence")
