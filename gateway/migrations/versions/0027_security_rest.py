"""booking seats: at most three active bookings per person, enforced by the database (a per-person seat table
with the primary key (person, seat)); the seats of today's active bookings are filled in. spent_challenge: each
solved ALTCHA challenge is accepted once

Revision ID: 0027_security_rest
Revises: 0026_core_resilience
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0027_security_rest"
down_revision = "0026_core_resilience"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spent_challenge",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_spent_challenge")),
    )
    with op.batch_alter_table("spent_challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spent_challenge_expires_at"), ["expires_at"], unique=False)
    op.create_table(
        "appt_booking_seat",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("seat BETWEEN 1 AND 3", name=op.f("ck_appt_booking_seat_seat")),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["appt_booking.id"], name=op.f("fk_appt_booking_seat_booking_id_appt_booking")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_appt_booking_seat_person_id_person")),
        sa.PrimaryKeyConstraint("person_id", "seat", name=op.f("pk_appt_booking_seat")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_appt_booking_seat_booking_id")),
    )
    # Today's active bookings take their seats, oldest first; a person already over the limit (the race this
    # table closes) keeps the extra bookings, which take no seat and free none when they end.
    op.execute(
        """
        INSERT INTO appt_booking_seat (person_id, seat, booking_id)
        SELECT person_id, n, id FROM (
            SELECT person_id, id, ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY created_at, id) AS n
            FROM appt_booking WHERE status = 'booked'
        ) AS ranked WHERE n <= 3
        """
    )


def downgrade() -> None:
    op.drop_table("appt_booking_seat")
    with op.batch_alter_table("spent_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spent_challenge_expires_at"))
    op.drop_table("spent_challenge")
