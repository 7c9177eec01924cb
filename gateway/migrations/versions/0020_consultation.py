"""consultation and complaints (LD/T 01 5.5): the question ledger, the mailbox's cases and their steps

Revision ID: 0020_consultation
Revises: 0019_one_clock
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import gateway.db


revision = '0020_consultation'
down_revision = '0019_one_clock'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consult_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', gateway.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('question', sa.String(length=60), nullable=False),
    sa.Column('words', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Enum('not_sure', 'unhelpful', name='ledgerreason', native_enum=False, length=16), nullable=False),
    sa.Column('entry_id', sa.String(length=80), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consult_ledger'))
    )
    with op.batch_alter_table('consult_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consult_ledger_at'), ['at'], unique=False)

    op.create_table('consult_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.Enum('consultation', 'suggestion', 'complaint', 'report', name='casekind', native_enum=False, length=16), nullable=False),
    sa.Column('topic', sa.Enum('pension', 'unemployment', 'work_injury', 'card', 'service', name='topic', native_enum=False, length=16), nullable=False),
    sa.Column('department', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('open', 'awaiting_info', 'replied', 'closed', name='casestatus', native_enum=False, length=16), nullable=False),
    sa.Column('subject_enc', sa.Text(), nullable=False),
    sa.Column('body_enc', sa.Text(), nullable=False),
    sa.Column('contact_enc', sa.Text(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('allow_public', sa.Boolean(), nullable=False),
    sa.Column('created_at', gateway.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('due_provisional', sa.Boolean(), nullable=False),
    sa.Column('limit_days', sa.Integer(), nullable=False),
    sa.Column('closed_at', gateway.db.UtcDateTime(timezone=True), nullable=True),
    sa.Column('outcome_enc', sa.Text(), nullable=True),
    sa.Column('public_question', sa.String(length=200), nullable=True),
    sa.Column('public_answer', sa.Text(), nullable=True),
    sa.Column('published_at', gateway.db.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_consult_case_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consult_case')),
    sa.UniqueConstraint('number', name=op.f('uq_consult_case_number'))
    )
    with op.batch_alter_table('consult_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consult_case_department'), ['department'], unique=False)
        batch_op.create_index(batch_op.f('ix_consult_case_due_date'), ['due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_consult_case_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consult_case_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consult_case_status'), ['status'], unique=False)

    op.create_table('consult_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', gateway.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Enum('submitted', 'replied', 'info_requested', 'info_added', 'contacted', 'closed', 'published', name='eventkind', native_enum=False, length=16), nullable=False),
    sa.Column('text_enc', sa.Text(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['consult_case.id'], name=op.f('fk_consult_event_case_id_consult_case')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_account.id'], name=op.f('fk_consult_event_staff_id_staff_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consult_event'))
    )
    with op.batch_alter_table('consult_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consult_event_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('consult_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consult_event_case_id'))

    op.drop_table('consult_event')
    with op.batch_alter_table('consult_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consult_case_status'))
        batch_op.drop_index(batch_op.f('ix_consult_case_published_at'))
        batch_op.drop_index(batch_op.f('ix_consult_case_person_id'))
        batch_op.drop_index(batch_op.f('ix_consult_case_due_date'))
        batch_op.drop_index(batch_op.f('ix_consult_case_department'))

    op.drop_table('consult_case')
    with op.batch_alter_table('consult_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consult_ledger_at'))

    op.drop_table('consult_ledger')
