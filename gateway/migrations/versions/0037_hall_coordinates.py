"""hall coordinates: latitude and longitude of each service hall in GCJ-02 (the datum of China's maps and of
WeChat's wx.openLocation), so the mini-program can navigate to it; empty until the operator sets them. The demo
halls get theirs.

Revision ID: 0037_hall_coordinates
Revises: 0036_ratings_and_steps
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0037_hall_coordinates"
down_revision = "0036_ratings_and_steps"
branch_labels = None
depends_on = None

#: The demo halls (gateway/appointments/demo.py), matched by code and name so that no real hall is touched.
_DEMO = (
    ("H01", "示例市社会保险事业管理中心（市民中心）", 34.376158, 107.237433),
    ("H02", "示例市渭滨区社会保险经办服务大厅", 34.362186, 107.149721),
    ("H03", "示例市陈仓区社会保险经办服务大厅", 34.368504, 107.384957),
)


def upgrade() -> None:
    with op.batch_alter_table("appt_hall", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=True))
    hall = sa.table(
        "appt_hall",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("latitude", sa.Numeric),
        sa.column("longitude", sa.Numeric),
    )
    for code, name, latitude, longitude in _DEMO:
        op.execute(
            hall.update()
            .where(hall.c.code == code, hall.c.name == name)
            .values(latitude=latitude, longitude=longitude)
        )


def downgrade() -> None:
    with op.batch_alter_table("appt_hall", schema=None) as batch_op:
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
