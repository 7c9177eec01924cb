"""hall staff belong to one service hall (issue 13: hall staff could open any hall's queue)

Revision ID: 0023_staff_hall
Revises: 0022_session_epoch
Create Date: 2026-12-04

A nullable column, so existing accounts keep working: a hall member with no hall sees no queue until an
administrator assigns one. On SQLite a column with a REFERENCES clause can be added in place (no table rebuild,
which the append-only audit trail's foreign key to ``staff_account`` would make unsafe).
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_staff_hall"
down_revision = "0022_session_epoch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE staff_account ADD COLUMN hall_id INTEGER REFERENCES appt_hall (id)")
    else:
        op.add_column("staff_account", sa.Column("hall_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_staff_account_hall_id_appt_hall"), "staff_account", "appt_hall", ["hall_id"], ["id"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE staff_account DROP COLUMN hall_id")
    else:
        op.drop_constraint(op.f("fk_staff_account_hall_id_appt_hall"), "staff_account", type_="foreignkey")
        op.drop_column("staff_account", "hall_id")
