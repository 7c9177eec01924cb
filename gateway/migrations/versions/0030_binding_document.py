"""the document a person typed when binding a WeChat or Alipay identity (LD/T 01 6.2.3 b, issue 20): a person new
to the gateway is shown by it, not by the back office's first document

Revision ID: 0030_binding_document
Revises: 0029_document_types
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0030_binding_document"
down_revision = "0029_document_types"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_binding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_enc", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_binding", schema=None) as batch_op:
        batch_op.drop_column("document_enc")
