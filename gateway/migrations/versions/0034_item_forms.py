"""item forms and certificates that speak for a date: an application's personal answers kept encrypted
(``app_application.fields_enc``); a certificate keeps the holder's record version and the date it speaks for, the
holder's number encrypted (to ask the core system at verification whether the record has changed since), and who
withdrew it (the holder or the agency)

Revision ID: 0034_item_forms
Revises: 0033_public_info_more
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0034_item_forms"
down_revision = "0033_public_info_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fields_enc", sa.Text(), nullable=True))
    with op.batch_alter_table("esign_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_version", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("record_as_of", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("holder_id_enc", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_by", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("esign_documents", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_by")
        batch_op.drop_column("holder_id_enc")
        batch_op.drop_column("record_as_of")
        batch_op.drop_column("record_version")
    with op.batch_alter_table("app_application", schema=None) as batch_op:
        batch_op.drop_column("fields_enc")
