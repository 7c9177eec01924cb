"""The ``shebao`` command: ``db upgrade``, ``demo-data``, ``serve``, ``calendar``, ``cleanup``, ``backup``,
``restore`` and more."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import click

from gateway.config import ConfigError, Settings


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def main() -> None:
    """Shebao Gateway (社保网上经办网关) administration."""
    # Every command sees the whole schema: a table's foreign keys name tables of other packages (the staff audit
    # trail names ``person``), which SQLAlchemy resolves only when their models are loaded.
    from gateway import models  # noqa: F401


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from gateway.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}")


@main.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing when the back office already has people.")
@click.option("--people", type=int, default=None, help="How many people (default SHEBAO_DEMO_PEOPLE).")
@click.option("--units", type=int, default=None, help="How many units (default SHEBAO_DEMO_UNITS).")
@click.option("--seed", type=int, default=None, help="Random seed (default SHEBAO_DEMO_SEED).")
def demo_data(if_empty: bool, people: int | None, units: int | None, seed: int | None) -> None:
    """Load the synthetic demo population into the reference back office."""
    from sqlalchemy.orm import sessionmaker

    from gateway.appointments.demo import load_halls
    from gateway.backoffice.demo import DemoSpec, population_exists
    from gateway.db import make_engine
    from gateway.identity.demo import load_demo_data
    from gateway.security.pii import PiiVault
    from gateway.staff.demo import load_demo_staff

    settings = _settings()
    if settings.production:
        # The demo staff have published passwords and TOTP seeds.
        raise click.ClickException("demo data is for the embedded and test modes, never SHEBAO_ENV=production")
    engine = make_engine(settings.database_url)
    sessions = sessionmaker(bind=engine)
    if if_empty and population_exists(sessions):
        click.echo("demo data already present; nothing to do")
        return
    spec = DemoSpec(
        seed=settings.demo_seed if seed is None else seed,
        people=settings.demo_people if people is None else people,
        units=settings.demo_units if units is None else units,
        today=date.today(),
    )
    summary = load_demo_data(sessions, PiiVault(settings.secret_key), spec)
    click.echo(summary)
    with sessions.begin() as session:
        click.echo(f"{load_halls(session)} demo service halls")
        click.echo(f"{load_demo_staff(session, PiiVault(settings.secret_key))} demo staff accounts")


@main.command("serve")
@click.option("--dev", is_flag=True, help="Flask's reloading development server instead of gunicorn.")
def serve(dev: bool) -> None:
    """Start the gateway on SHEBAO_HOST:SHEBAO_PORT (gunicorn, SHEBAO_WORKERS workers)."""
    settings = _settings()
    if dev:
        from gateway import create_app

        create_app(settings).run(host=settings.host, port=settings.port, debug=True)
        return
    bind = f"{settings.host}:{settings.port}"
    args = [
        sys.executable, "-m", "gunicorn",
        "--config", "python:gateway.gunicorn_conf",  # threaded workers: a login does not block pages
        "--bind", bind,
        "--workers", str(settings.workers),
        # gunicorn believes X-Forwarded-Proto from the same proxies the gateway believes X-Forwarded-For from.
        "--forwarded-allow-ips", settings.trusted.gunicorn_allow_ips(),
        "gateway.wsgi:app",
    ]  # fmt: skip
    sandboxes = None
    if settings.run_sandboxes:
        sandboxes = subprocess.Popen([sys.executable, "-m", "gateway.cli", "sandboxes"])
        click.echo(f"sandboxes on {settings.sandbox_url}/")
    click.echo(f"Shebao Gateway on http://{bind}/")
    gateway = subprocess.Popen(args, env=_metrics_env(settings))
    # The push platform's dispatcher runs beside the web workers, never inside a request (gateway/worker.py).
    worker = subprocess.Popen([sys.executable, "-m", "gateway.cli", "worker"]) if settings.run_worker else None
    # Periodic jobs (appointment reminders, no-shows) in one more small process (gateway/scheduler.py).
    jobs = subprocess.Popen([sys.executable, "-m", "gateway.cli", "scheduler"]) if settings.run_worker else None
    # On SIGTERM (a service manager, a test) stop both children, not just ourselves.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sys.exit(gateway.wait())
    except KeyboardInterrupt:
        pass
    finally:
        for child in (gateway, worker, jobs, sandboxes):
            if child is not None and child.poll() is None:
                child.terminate()
                child.wait(timeout=30)


def _metrics_env(settings: Settings) -> dict[str, str]:
    """gunicorn's workers are separate processes: /metrics adds up their counts through files in one folder
    (prometheus-client's multiprocess mode), emptied at each start so old counts never come back."""
    env = dict(os.environ)
    if not env.get("PROMETHEUS_MULTIPROC_DIR"):
        folder = Path(settings.var_dir) / "prometheus"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    return env


@main.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def worker(once: bool) -> None:
    """Run the push platform's dispatcher (outbox → inbox, SMS, WeChat) until stopped."""
    from gateway.worker import run

    run(_settings(), once=once)


@main.command("scheduler")
def scheduler() -> None:
    """Run the periodic jobs (day-before appointment reminders, no-shows) until stopped."""
    from gateway.scheduler import run

    run(_settings())


@main.command("cleanup")
def cleanup() -> None:
    """Remove expired sessions, codes, tokens and abandoned drafts' files, and clear the content of old closed
    chats and mailbox cases, now (LD/T 01 6.3.3), as the scheduler does every hour; the retention periods are
    SHEBAO_RETENTION_EXPIRED_DAYS, SHEBAO_RETENTION_WITHDRAWN_DAYS, SHEBAO_RETENTION_CHAT_DAYS and
    SHEBAO_RETENTION_CONSULT_DAYS."""
    from sqlalchemy.orm import sessionmaker

    from gateway import clock
    from gateway.db import make_engine
    from gateway.retention import RetentionError, RetentionPolicy, clean_up

    settings = _settings()
    try:
        policy = RetentionPolicy.from_env()
    except RetentionError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(settings.database_url)
    try:
        with sessionmaker(bind=engine).begin() as session:
            report = clean_up(session, clock.now(), policy, settings.var_dir)
    finally:
        engine.dispose()
    click.echo(report.summary())


def _passphrase(confirm: bool) -> str:
    """The backup passphrase: SHEBAO_BACKUP_PASSPHRASE, else asked for (twice when making a backup)."""
    from gateway.backup import PASSPHRASE_ENV

    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    return click.prompt("备份口令 (backup passphrase)", hide_input=True, confirmation_prompt=confirm)


@main.command("backup")
@click.option(
    "--output", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Archive to write."
)
def backup_cmd(output: Path) -> None:
    """Back up the database (online), the upload store and the seal keys (encrypted) into one archive."""
    from gateway.backup import BackupError, backup

    settings = _settings()
    try:
        manifest = backup(settings, output, _passphrase(confirm=True))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written: {output} ({manifest['database']}, schema {manifest['schema_revision']})")


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_cmd(archive: Path) -> None:
    """Restore ARCHIVE into an empty SHEBAO_VAR_DIR and an empty SHEBAO_DATABASE_URL."""
    from gateway.backup import BackupError, restore

    settings = _settings()
    try:
        report = restore(settings, archive, _passphrase(confirm=False))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored: {report.database} database, {report.uploads} uploaded files, {len(report.keys)} key files")
    configured = [k for k in report.keys if k.startswith("restored-keys/")]
    if configured:
        click.echo("configured seal files restored under SHEBAO_VAR_DIR; point SHEBAO_SEAL_* at them:")
        for name in configured:
            click.echo(f"  {name}")


@main.command("sandboxes")
def run_sandboxes() -> None:
    """Serve the local stand-ins for the external services on SHEBAO_SANDBOX_PORT (embedded mode)."""
    from werkzeug.serving import run_simple

    from sandboxes import create_sandbox_app

    settings = _settings()
    run_simple("127.0.0.1", settings.sandbox_port, create_sandbox_app(), threaded=True)


@main.group()
def calendar() -> None:
    """The public-holiday schedule used for working-day time limits."""


@calendar.command("show")
@click.option("--file", "path", type=click.Path(dir_okay=False), default=None, help="Schedule file.")
def calendar_show(path: str | None) -> None:
    """Say which years the gateway knows and where each comes from."""
    from gateway.workdays import DEFAULT_SCHEDULE_PATH, WorkCalendar

    cal = WorkCalendar(path or DEFAULT_SCHEDULE_PATH)
    click.echo(f"chinesecalendar + operator schedule; last known year: {cal.last_known_year()}")
    click.echo(f"operator-supplied years: {', '.join(map(str, cal.operator_years)) or 'none'}")


@calendar.command("load")
@click.argument("year", type=int)
@click.option("--holidays", required=True, help='Days off, e.g. "2027-01-01, 2027-02-05..2027-02-13".')
@click.option("--workdays", default="", help='Adjusted working weekend days, e.g. "2027-02-14, 2027-02-20".')
@click.option("--source", default="", help="The notice, e.g. 国办发明电〔2026〕N号.")
@click.option("--file", "path", type=click.Path(dir_okay=False), default=None, help="Schedule file.")
def calendar_load(year: int, holidays: str, workdays: str, source: str, path: str | None) -> None:
    """Save YEAR's holidays from the State Council's notice into the schedule file."""
    from gateway.workdays import DEFAULT_SCHEDULE_PATH, ScheduleError, expand_dates, write_year

    try:
        saved = write_year(
            path or DEFAULT_SCHEDULE_PATH,
            year,
            expand_dates(holidays),
            expand_dates(workdays) if workdays.strip() else [],
            source,
        )
    except ScheduleError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{year}: {len(saved.holidays)} holidays, {len(saved.workdays)} adjusted working days saved")


@main.group()
def pii() -> None:
    """Personal data at rest (purpose-bound keys)."""


@pii.command("rekey")
def pii_rekey() -> None:
    """Rewrite personal data still in the form before purpose keys in the current one (safe to run again)."""
    from sqlalchemy.orm import sessionmaker

    from gateway.db import make_engine
    from gateway.pii_columns import rekey
    from gateway.security.pii import PiiVault

    settings = _settings()
    sessions = sessionmaker(bind=make_engine(settings.database_url))
    vault = PiiVault(settings.secret_key, settings.secret_key_fallbacks)
    with sessions.begin() as session:
        counts = rekey(session, vault)
    for column, count in counts.items():
        click.echo(f"{column}\t{count}")
    click.echo(f"{sum(counts.values())} values rewritten")
    from gateway.applications.uploads import reseal_all

    resealed, _fine, lost = reseal_all(settings.var_dir, vault)
    click.echo(f"uploads\t{resealed} files sealed again, {lost} unreadable")
    if lost:
        raise SystemExit(1)


@pii.command("status")
def pii_status() -> None:
    """Per encrypted column: values the current secret opens, values only a replaced secret (or the form before
    purpose keys) opens, and values nothing opens. Exits 1 when any value cannot be read."""
    from sqlalchemy.orm import sessionmaker

    from gateway.db import make_engine
    from gateway.pii_columns import status
    from gateway.security.pii import PiiVault

    settings = _settings()
    sessions = sessionmaker(bind=make_engine(settings.database_url))
    with sessions() as session:
        counts = status(session, PiiVault(settings.secret_key, settings.secret_key_fallbacks))
    click.echo("column\tcurrent\tolder\tunreadable")
    for column, (now, older, lost) in counts.items():
        click.echo(f"{column}\t{now}\t{older}\t{lost}")
    totals = [sum(c[i] for c in counts.values()) for i in range(3)]
    click.echo(f"{totals[0]} current, {totals[1]} under an older key, {totals[2]} unreadable")
    if totals[2]:
        raise SystemExit(1)


@main.group()
def seal() -> None:
    """The agency's electronic seal for certificates (esign/)."""


@seal.command("init")
def seal_init() -> None:
    """Create the local agency CA and a seal certificate under var/seal, once (embedded default)."""
    from esign.cli import init

    click.echo(init(_settings()))


@seal.command("rotate")
def seal_rotate() -> None:
    """Replace the seal certificate with a new one from the same CA; sealed documents still verify."""
    from esign.cli import rotate

    click.echo(rotate(_settings()))


@seal.command("status")
def seal_status() -> None:
    """Show the seal certificate in use and when it expires."""
    from esign.cli import status

    click.echo(status(_settings()))


from gateway.backoffice.server import cli as backoffice_cli  # noqa: E402

main.add_command(backoffice_cli)  # `shebao backoffice serve`

from gateway.backoffice.audit_cli import audit as audit_cli  # noqa: E402

main.add_command(audit_cli)  # `shebao audit verify`

from gateway.staff.cli import cli as staff_cli  # noqa: E402

main.add_command(staff_cli)  # `shebao staff add|list|unlock|reset-totp`

from gateway.kiosk.cli import kiosk as kiosk_cli  # noqa: E402

main.add_command(kiosk_cli)  # `shebao kiosk enrol|list|disable|enable`

from gateway.units.cli import certs as certs_cli  # noqa: E402

main.add_command(certs_cli)  # `shebao certs demo`

if __name__ == "__main__":
    main()
