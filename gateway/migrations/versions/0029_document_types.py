"""identity documents (LD/T 01 6.2.3 b, issue 20): a person's document type (existing people: the resident ID),
the documents that find a person (gateway ``person_document``) and the back office's documents per social
security number (``bo_person_document``)

Revision ID: 0029_document_types
Revises: 0028_idempotency
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0029_document_types"
down_revision = "0028_idempotency"
branch_labels = None
depends_on = None

TYPES = ("resident_id", "hmt_permit", "foreign_pr", "passport")


def _doc_type() -> sa.Enum:
    return sa.Enum(*TYPES, name="documenttype", native_enum=False, length=16)


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("doc_type", _doc_type(), nullable=False, server_default="resident_id"))
    op.create_table(
        "person_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("doc_type", _doc_type(), nullable=False),
        sa.Column("doc_digest", sa.String(length=64), nullable=False),
        sa.Column("number_enc", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("doc_type", "doc_digest", name="uq_person_document_type_digest"),
    )
    op.create_index("ix_person_document_person_id", "person_document", ["person_id"])
    op.create_table(
        "bo_person_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("doc_type", _doc_type(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["bo_person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("doc_type", "number", name="uq_bo_person_document"),
    )
    op.create_index("ix_bo_person_document_person_id", "bo_person_document", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_bo_person_document_person_id", table_name="bo_person_document")
    op.drop_table("bo_person_document")
    op.drop_index("ix_person_document_person_id", table_name="person_document")
    op.drop_table("person_document")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("doc_type")
