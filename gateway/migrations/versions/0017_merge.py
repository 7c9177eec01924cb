"""merge the second round of feature branches (staff, units, kiosk, esign receipts, proxies) into one head

Revision ID: 0017_merge
Revises: 0008_staff, 0009_units, 0010_kiosk, 0012_esign_receipts, 0016_proxies
Create Date: 2026-11-23
"""

revision = "0017_merge"
down_revision = ("0008_staff", "0009_units", "0010_kiosk", "0012_esign_receipts", "0016_proxies")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
