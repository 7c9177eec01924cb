"""live chat with 12333 agents (LD/T 01 5.5.2 b, issue 16): conversations and their encrypted messages

Revision ID: 0031_live_chat
Revises: 0030_binding_document
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0031_live_chat"
down_revision = "0030_binding_document"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade() -> None:
    op.create_table(
        "chat_conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("status", _enum("chatstatus", "waiting", "active", "closed"), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", _enum("closedby", "person", "agent", "abandoned"), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("verified_person_id", sa.Integer(), nullable=True),
        sa.Column("verified_by", _enum("verifiedby", "login", "caller_check"), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["verified_person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    for column in ("status", "opened_at", "person_id", "verified_person_id", "staff_id"):
        op.create_index(f"ix_chat_conversation_{column}", "chat_conversation", [column])
    op.create_table(
        "chat_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender", _enum("sender", "person", "agent", "system"), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("text_enc", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["chat_conversation.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_chat_message_conversation_id", "chat_message", ["conversation_id"])


def downgrade() -> None:
    op.drop_index("ix_chat_message_conversation_id", table_name="chat_message")
    op.drop_table("chat_message")
    for column in ("status", "opened_at", "person_id", "verified_person_id", "staff_id"):
        op.drop_index(f"ix_chat_conversation_{column}", table_name="chat_conversation")
    op.drop_table("chat_conversation")
