"""public information and service evaluation (LD/T 01 5.6, clause 7): policy documents, ratings,
follow-ups, the list of serious dishonesty and its repairs

Revision ID: 0021_public_info
Revises: 0020_consultation
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_public_info"
down_revision = "0020_consultation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "info_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("issuer", sa.String(length=80), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "status", sa.Enum("in_force", "replaced", name="policystatus", native_enum=False, length=16), nullable=False
        ),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"], ["info_policy.id"], name=op.f("fk_info_policy_replaced_by_id_info_policy")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_policy")),
    )
    op.create_table(
        "info_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "subject",
            sa.Enum("application", "appointment", name="evaluationsubject", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("subject_ref", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("hall_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("rated_on", sa.String(length=16), nullable=False),
        sa.Column("completeness", sa.Integer(), nullable=False),
        sa.Column("ease", sa.Integer(), nullable=False),
        sa.Column("timeliness", sa.Integer(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("completeness BETWEEN 1 AND 5", name=op.f("ck_info_evaluation_completeness")),
        sa.CheckConstraint("ease BETWEEN 1 AND 5", name=op.f("ck_info_evaluation_ease")),
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name=op.f("ck_info_evaluation_satisfaction")),
        sa.CheckConstraint("timeliness BETWEEN 1 AND 5", name=op.f("ck_info_evaluation_timeliness")),
        sa.ForeignKeyConstraint(["hall_id"], ["appt_hall.id"], name=op.f("fk_info_evaluation_hall_id_appt_hall")),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_info_evaluation_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_evaluation")),
        sa.UniqueConstraint("subject", "subject_ref", name="uq_info_evaluation_subject"),
    )
    with op.batch_alter_table("info_evaluation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_info_evaluation_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_info_evaluation_person_id"), ["person_id"], unique=False)

    op.create_table(
        "info_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column(
            "status", sa.Enum("open", "closed", name="followupstatus", native_enum=False, length=16), nullable=False
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("closed_by", sa.String(length=40), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["info_evaluation.id"], name=op.f("fk_info_follow_up_evaluation_id_info_evaluation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_follow_up")),
        sa.UniqueConstraint("evaluation_id", name=op.f("uq_info_follow_up_evaluation_id")),
    )
    op.create_table(
        "info_credit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party", sa.Enum("unit", "person", name="creditparty", native_enum=False, length=16), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("code_shown", sa.String(length=24), nullable=False),
        sa.Column("behaviour", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("document_number", sa.String(length=80), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("listed_on", sa.Date(), nullable=False),
        sa.Column("publish_until", sa.Date(), nullable=False),
        sa.Column(
            "status", sa.Enum("listed", "removed", name="creditstatus", native_enum=False, length=16), nullable=False
        ),
        sa.Column(
            "removal", sa.Enum("repaired", "expired", name="creditremoval", native_enum=False, length=16), nullable=True
        ),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_credit_entry")),
    )
    with op.batch_alter_table("info_credit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_info_credit_entry_code_digest"), ["code_digest"], unique=False)

    op.create_table(
        "info_credit_repair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "granted", "refused", name="repairstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["staff_account.id"], name=op.f("fk_info_credit_repair_decided_by_staff_account")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["info_credit_entry.id"], name=op.f("fk_info_credit_repair_entry_id_info_credit_entry")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_credit_repair")),
    )
    with op.batch_alter_table("info_credit_repair", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_info_credit_repair_entry_id"), ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("info_credit_repair", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_credit_repair_entry_id"))
    op.drop_table("info_credit_repair")
    with op.batch_alter_table("info_credit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_credit_entry_code_digest"))
    op.drop_table("info_credit_entry")
    op.drop_table("info_follow_up")
    with op.batch_alter_table("info_evaluation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_evaluation_person_id"))
        batch_op.drop_index(batch_op.f("ix_info_evaluation_created_at"))

    op.drop_table("info_evaluation")
    op.drop_table("info_policy")
