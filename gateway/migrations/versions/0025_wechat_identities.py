"""WeChat identities: every openid with the app that issued it and its unionid (a mini-program openid and a
website-app openid of one person are joined by unionid), and the subscribe-message templates each mini-program
openid accepted (one message per one-off acceptance). Existing WeChat credentials get their row at their next
login (WeChat is asked again then); until then no subscribe message goes to them.

Revision ID: 0025_wechat_identities
Revises: 0024_certificate_withdrawal
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import gateway.db

revision = "0025_wechat_identities"
down_revision = "0024_certificate_withdrawal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=128), nullable=False),
        sa.Column(
            "app", sa.Enum("miniprogram", "website", name="wechatapp", native_enum=False, length=16), nullable=False
        ),
        sa.Column("unionid", sa.String(length=128), nullable=True),
        sa.Column("first_seen_at", gateway.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", gateway.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_identity")),
        sa.UniqueConstraint("openid", name=op.f("uq_wechat_identity_openid")),
    )
    with op.batch_alter_table("wechat_identity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wechat_identity_unionid"), ["unionid"], unique=False)

    op.create_table(
        "wechat_subscribe_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=128), nullable=False),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("updated_at", gateway.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["openid"],
            ["wechat_identity.openid"],
            name=op.f("fk_wechat_subscribe_grant_openid_wechat_identity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_subscribe_grant")),
        sa.UniqueConstraint("openid", "template_id", name="uq_wechat_subscribe_grant"),
    )
    with op.batch_alter_table("wechat_subscribe_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wechat_subscribe_grant_openid"), ["openid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wechat_subscribe_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_subscribe_grant_openid"))

    op.drop_table("wechat_subscribe_grant")
    with op.batch_alter_table("wechat_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wechat_identity_unionid"))

    op.drop_table("wechat_identity")
