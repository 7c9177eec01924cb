"""knowledge entries kept in the database (LD/T 01 5.5.4, issue 16): ``help_entry`` (written by staff from the
question ledger or promoted from a published mailbox answer) and the ledger question's link to the entry that
answered it

Revision ID: 0032_knowledge_entries
Revises: 0031_live_chat
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import gateway.db

revision = "0032_knowledge_entries"
down_revision = "0031_live_chat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "help_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=True),
        sa.Column(
            "origin", sa.Enum("ledger", "mailbox", name="entryorigin", native_enum=False, length=16), nullable=False
        ),
        sa.Column("origin_ref", sa.String(length=60), nullable=False),
        sa.Column(
            "status",
            sa.Enum("published", "withdrawn", name="entrystatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", gateway.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff_account.id"], name=op.f("fk_help_entry_author_id_staff_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_entry")),
    )
    with op.batch_alter_table("help_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_entry_origin_ref"), ["origin_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_help_entry_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_help_entry_updated_at"), ["updated_at"], unique=False)
    with op.batch_alter_table("consult_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_entry_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_consult_ledger_resolved_entry_id"), ["resolved_entry_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_consult_ledger_resolved_entry_id_help_entry"), "help_entry", ["resolved_entry_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("consult_ledger", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_consult_ledger_resolved_entry_id_help_entry"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_consult_ledger_resolved_entry_id"))
        batch_op.drop_column("resolved_entry_id")
    with op.batch_alter_table("help_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_entry_updated_at"))
        batch_op.drop_index(batch_op.f("ix_help_entry_status"))
        batch_op.drop_index(batch_op.f("ix_help_entry_origin_ref"))
    op.drop_table("help_entry")
