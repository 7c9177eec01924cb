"""one clock: every instant column holds aware UTC

Until now three conventions lived side by side: the identity, kiosk, unit and esign tables kept aware UTC
(``timestamp with time zone`` on PostgreSQL), the notify and staff tables naive UTC, and the appointment,
application, face-check and proxy tables naive Beijing wall-clock time. After this revision every instant is UTC
and, on PostgreSQL, ``timestamp with time zone``; the models read them through ``gateway.db.UtcDateTime``.

- naive Beijing time (appt_booking, app_application, app_event, app_material, app_face_check, proxy_grant):
  shifted to UTC (Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so on SQLite that is −8 h;
  on PostgreSQL ``USING col AT TIME ZONE 'Asia/Shanghai'``);
- naive UTC (notify_*, staff_account, staff_audit): values kept (PostgreSQL: ``AT TIME ZONE 'UTC'``);
- already aware UTC (person, credentials, sessions, units, kiosk, esign): untouched.

SQLite has no zone-aware type: SQLAlchemy writes ``DATETIME`` for both kinds, so there only the data moves. The
columns are deliberately not rebuilt with ``batch_alter_table`` there: the copy-and-swap would drop the
append-only triggers of staff_audit (migration 0008) for a DDL that would read the same afterwards.
Wall-clock values that are not instants (a slot's ``day``/``start``/``end``, closures, due dates) stay ``Date``
and ``Time``.

Revision ID: 0019_one_clock
Revises: 0018_services
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_one_clock"
down_revision = "0018_services"
branch_labels = None
depends_on = None

#: table -> [(column, nullable)] holding naive Beijing wall-clock time before this revision
BEIJING_COLUMNS = {
    "appt_booking": [("created_at", False), ("cancelled_at", True), ("checked_in_at", True)],
    "app_application": [
        ("created_at", False),
        ("submitted_at", True),
        ("accepted_at", True),
        ("decided_at", True),
        ("updated_at", False),
    ],
    "app_event": [("at", False)],
    "app_material": [("uploaded_at", False)],
    "app_face_check": [("started_at", False), ("finished_at", True), ("used_at", True)],
    "proxy_grant": [("created_at", False), ("valid_until", False), ("revoked_at", True)],
}
#: table -> [(column, nullable)] holding naive UTC before this revision
UTC_COLUMNS = {
    "notify_message": [
        ("send_at", False),
        ("next_attempt_at", False),
        ("created_at", False),
        ("claimed_at", True),
        ("delivered_at", True),
        ("read_at", True),
    ],
    "notify_attempt": [("started_at", False), ("finished_at", False)],
    "notify_preference": [("updated_at", False)],
    "notify_audit": [("at", False)],
    "staff_account": [("locked_until", True), ("last_login_at", True), ("created_at", False)],
    "staff_audit": [("at", False)],
}
ZONES = [(BEIJING_COLUMNS, "Asia/Shanghai", 8), (UTC_COLUMNS, "UTC", 0)]


def _sqlite_shift(table: str, column: str, hours: int) -> None:
    """Move a SQLite DATETIME text by whole hours, keeping its fractional seconds (SQLAlchemy's format is
    ``YYYY-MM-DD HH:MM:SS[.ffffff]``; the part from the 20th character on is the fraction)."""
    op.execute(  # names and hours are this file's constants
        f"UPDATE {table} SET {column} = strftime('%Y-%m-%d %H:%M:%S', {column}, '{hours:+d} hours') "  # noqa: S608
        f"|| substr({column}, 20) WHERE {column} IS NOT NULL"
    )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for tables, zone, offset in ZONES:
        for table, columns in tables.items():
            for column, nullable in columns:
                if sqlite:
                    if offset:
                        _sqlite_shift(table, column, -offset)
                    continue
                op.alter_column(
                    table,
                    column,
                    existing_type=sa.DateTime(),
                    type_=sa.DateTime(timezone=True),
                    existing_nullable=nullable,
                    postgresql_using=f"{column} AT TIME ZONE '{zone}'",
                )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for tables, zone, offset in ZONES:
        for table, columns in tables.items():
            for column, nullable in columns:
                if sqlite:
                    if offset:
                        _sqlite_shift(table, column, offset)
                    continue
                op.alter_column(
                    table,
                    column,
                    existing_type=sa.DateTime(timezone=True),
                    type_=sa.DateTime(),
                    existing_nullable=nullable,
                    postgresql_using=f"{column} AT TIME ZONE '{zone}'",
                )
