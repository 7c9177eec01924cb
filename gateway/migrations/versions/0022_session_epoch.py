"""a per-person session epoch: changing a login factor ends every other session and token at once
(issue 13, must fix 2)

Revision ID: 0022_session_epoch
Revises: 0021_public_info
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_session_epoch"
down_revision = "0021_public_info"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch:
        batch.drop_column("session_epoch")
