"""kiosk: enrolled kiosk devices and the nonces of their signed requests

Revision ID: 0010_kiosk
Revises: 0007_merge
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_kiosk"
down_revision = "0007_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=40), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["hall_id"], ["appt_hall.id"], name=op.f("fk_kiosk_devices_hall_id_appt_hall")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_devices")),
        sa.UniqueConstraint("device_id", name=op.f("uq_kiosk_devices_device_id")),
    )
    op.create_index(op.f("ix_kiosk_devices_hall_id"), "kiosk_devices", ["hall_id"], unique=False)
    op.create_table(
        "kiosk_nonces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_pk", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_pk"], ["kiosk_devices.id"], name=op.f("fk_kiosk_nonces_device_pk_kiosk_devices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_nonces")),
        sa.UniqueConstraint("device_pk", "nonce", name="uq_kiosk_nonces_device_nonce"),
    )
    op.create_index(op.f("ix_kiosk_nonces_device_pk"), "kiosk_nonces", ["device_pk"], unique=False)
    op.create_index(op.f("ix_kiosk_nonces_seen_at"), "kiosk_nonces", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_kiosk_nonces_seen_at"), table_name="kiosk_nonces")
    op.drop_index(op.f("ix_kiosk_nonces_device_pk"), table_name="kiosk_nonces")
    op.drop_table("kiosk_nonces")
    op.drop_index(op.f("ix_kiosk_devices_hall_id"), table_name="kiosk_devices")
    op.drop_table("kiosk_devices")
