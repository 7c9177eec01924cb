"""merge the feature branches (notify, esign, identity, appointments, applications) into one head

Revision ID: 0007_merge
Revises: 0002_notify, 0003_esign, 0004_identity, 0005_appointments, 0006_applications
Create Date: 2026-11-23
"""

revision = "0007_merge"
down_revision = ("0002_notify", "0003_esign", "0004_identity", "0005_appointments", "0006_applications")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
