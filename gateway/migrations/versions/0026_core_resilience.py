"""core resilience (issue 19): the hash-chained exchange log with its head row, the last known answers of the
core system (encrypted), its announced maintenance windows, and the queue of writes waiting for it

Revision ID: 0026_core_resilience
Revises: 0025_wechat_identities
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_core_resilience"
down_revision = "0025_wechat_identities"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "bo_exchange_log",
        sa.Column("seq", BIGINT, autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("request_digest", sa.String(length=64), nullable=False),
        sa.Column("response_digest", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_bo_exchange_log")),
    )
    head = op.create_table(
        "bo_exchange_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", BIGINT, nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bo_exchange_head")),
    )
    # The one head row exists from the start, so the first appenders on several nodes lock it, never race to make it.
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "last_hash": "0" * 64}])
    op.create_table(
        "bo_last_known",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("operation", sa.String(length=40), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_bo_last_known")),
    )
    op.create_table(
        "maintenance_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("announced_by", sa.Integer(), nullable=False),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_window")),
    )
    op.create_index(op.f("ix_maintenance_window_starts_at"), "maintenance_window", ["starts_at"])
    op.create_index(op.f("ix_maintenance_window_ends_at"), "maintenance_window", ["ends_at"])
    op.create_table(
        "bo_write_queue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("update_phone", "certify_eligibility", name="writekind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("arguments", sa.Text(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("pending", "done", "refused", name="writestatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bo_write_queue")),
    )
    op.create_index(op.f("ix_bo_write_queue_person_id"), "bo_write_queue", ["person_id"])
    op.create_index(op.f("ix_bo_write_queue_status"), "bo_write_queue", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_bo_write_queue_status"), table_name="bo_write_queue")
    op.drop_index(op.f("ix_bo_write_queue_person_id"), table_name="bo_write_queue")
    op.drop_table("bo_write_queue")
    op.drop_index(op.f("ix_maintenance_window_ends_at"), table_name="maintenance_window")
    op.drop_index(op.f("ix_maintenance_window_starts_at"), table_name="maintenance_window")
    op.drop_table("maintenance_window")
    op.drop_table("bo_last_known")
    op.drop_table("bo_exchange_head")
    op.drop_table("bo_exchange_log")
