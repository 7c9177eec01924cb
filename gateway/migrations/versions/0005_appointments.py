"""appointments: halls, windows, slot templates, closures, slots, bookings, queue counters

Revision ID: 0005_appointments
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_appointments"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('appt_hall',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('hours', sa.String(length=120), nullable=False),
    sa.Column('map_url', sa.String(length=300), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_hall')),
    sa.UniqueConstraint('code', name=op.f('uq_appt_hall_code'))
    )
    op.create_table('appt_closure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['appt_hall.id'], name=op.f('fk_appt_closure_hall_id_appt_hall')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_closure')),
    sa.UniqueConstraint('hall_id', 'day', name='uq_appt_closure_hall_day')
    )
    op.create_table('appt_hall_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['appt_hall.id'], name=op.f('fk_appt_hall_item_hall_id_appt_hall')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_hall_item')),
    sa.UniqueConstraint('hall_id', 'item_id', name='uq_appt_hall_item')
    )
    op.create_table('appt_queue_counter',
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['appt_hall.id'], name=op.f('fk_appt_queue_counter_hall_id_appt_hall')),
    sa.PrimaryKeyConstraint('hall_id', 'day', name=op.f('pk_appt_queue_counter'))
    )
    op.create_table('appt_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start', sa.Time(), nullable=False),
    sa.Column('end', sa.Time(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.CheckConstraint('booked >= 0 AND booked <= capacity', name=op.f('ck_appt_slot_capacity')),
    sa.ForeignKeyConstraint(['hall_id'], ['appt_hall.id'], name=op.f('fk_appt_slot_hall_id_appt_hall')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_slot')),
    sa.UniqueConstraint('hall_id', 'day', 'start', name='uq_appt_slot_hall_day_start')
    )
    op.create_table('appt_slot_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start', sa.Time(), nullable=False),
    sa.Column('end', sa.Time(), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_appt_slot_template_weekday')),
    sa.ForeignKeyConstraint(['hall_id'], ['appt_hall.id'], name=op.f('fk_appt_slot_template_hall_id_appt_hall')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_slot_template'))
    )
    with op.batch_alter_table('appt_slot_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appt_slot_template_hall_id'), ['hall_id'], unique=False)

    op.create_table('appt_window',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hall_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('appointments_only', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['hall_id'], ['appt_hall.id'], name=op.f('fk_appt_window_hall_id_appt_hall')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_window')),
    sa.UniqueConstraint('hall_id', 'number', name='uq_appt_window_hall_number')
    )
    op.create_table('appt_booking',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('booked_by_person_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.String(length=64), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('booked', 'cancelled', 'checked_in', 'no_show', name='bookingstatus', native_enum=False, length=16), nullable=False),
    sa.Column('priority', sa.Boolean(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(), nullable=True),
    sa.Column('ticket', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['booked_by_person_id'], ['person.id'], name=op.f('fk_appt_booking_booked_by_person_id_person')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_appt_booking_person_id_person')),
    sa.ForeignKeyConstraint(['slot_id'], ['appt_slot.id'], name=op.f('fk_appt_booking_slot_id_appt_slot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appt_booking')),
    sa.UniqueConstraint('code', name=op.f('uq_appt_booking_code'))
    )
    with op.batch_alter_table('appt_booking', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appt_booking_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_appt_booking_slot', ['slot_id'], unique=False)
        batch_op.create_index('uq_appt_booking_active_item', ['person_id', 'item_id'], unique=True, sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))


def downgrade() -> None:
    with op.batch_alter_table('appt_booking', schema=None) as batch_op:
        batch_op.drop_index('uq_appt_booking_active_item', sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))
        batch_op.drop_index('ix_appt_booking_slot')
        batch_op.drop_index(batch_op.f('ix_appt_booking_person_id'))

    op.drop_table('appt_booking')
    op.drop_table('appt_window')
    with op.batch_alter_table('appt_slot_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appt_slot_template_hall_id'))

    op.drop_table('appt_slot_template')
    op.drop_table('appt_slot')
    op.drop_table('appt_queue_counter')
    op.drop_table('appt_hall_item')
    op.drop_table('appt_closure')
    op.drop_table('appt_hall')
