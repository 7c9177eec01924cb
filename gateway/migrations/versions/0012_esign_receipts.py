"""esign: kept PDFs (esign_files) and application receipts (esign_receipts)

Revision ID: 0012_esign_receipts
Revises: 0007_merge
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_esign_receipts"
down_revision = "0007_merge"
branch_labels = None
depends_on = None

KINDS = (
    "person_proof",
    "contribution_record",
    "benefit_payments",
    "unit_proof",
    "acceptance_notice",
    "result_notice",
    "transfer_voucher",
)


def upgrade() -> None:
    op.create_table(
        "esign_files",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["esign_documents.id"], name=op.f("fk_esign_files_document_id_esign_documents")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_esign_files")),
    )
    op.create_table(
        "esign_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum(*KINDS, name="documentkind", native_enum=False, length=32), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["application_id"], ["app_application.id"], name=op.f("fk_esign_receipts_application_id_app_application")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["esign_documents.id"], name=op.f("fk_esign_receipts_document_id_esign_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_esign_receipts")),
        sa.UniqueConstraint("application_id", "kind", name="uq_esign_receipts_application_kind"),
        sa.UniqueConstraint("document_id", name=op.f("uq_esign_receipts_document_id")),
    )
    with op.batch_alter_table("esign_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_esign_receipts_application_id"), ["application_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("esign_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_esign_receipts_application_id"))
    op.drop_table("esign_receipts")
    op.drop_table("esign_files")
