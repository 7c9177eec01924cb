"""services of LD/T 01 5.4.3: face checks, eligibility certifications, transfer stages, card making

Revision ID: 0018_services
Revises: 0017_merge
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_services"
down_revision = "0017_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_face_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("started", "passed", "failed", "refused", name="facecheckstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"], ["app_application.id"], name=op.f("fk_app_face_check_application_id_app_application")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_app_face_check_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_face_check")),
        sa.UniqueConstraint("session_id", name=op.f("uq_app_face_check_session_id")),
    )
    with op.batch_alter_table("app_face_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_face_check_application_id"), ["application_id"], unique=False)
    op.create_table(
        "bo_eligibility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("certified_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["bo_person.id"], name=op.f("fk_bo_eligibility_person_id_bo_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bo_eligibility")),
        sa.UniqueConstraint("person_id", "year", name="uq_bo_eligibility_person_year"),
    )
    with op.batch_alter_table("bo_person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("card_applied_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("card_made_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("card_sent_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("card_branch", sa.String(length=40), nullable=True))
    with op.batch_alter_table("bo_transfer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("certificate_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("received_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("funds_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bo_transfer", schema=None) as batch_op:
        for name in ("funds_on", "received_on", "certificate_on", "reviewed_on"):
            batch_op.drop_column(name)
    with op.batch_alter_table("bo_person", schema=None) as batch_op:
        for name in ("card_branch", "card_sent_on", "card_made_on", "card_applied_on"):
            batch_op.drop_column(name)
    op.drop_table("bo_eligibility")
    with op.batch_alter_table("app_face_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_face_check_application_id"))
    op.drop_table("app_face_check")
