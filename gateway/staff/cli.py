"""``shebao staff``: create staff accounts, list them, lock or unlock one, reset a lost second factor. Each command
is one transaction (``sessions.begin()``): its work and its audit entry commit together or not at all."""

from __future__ import annotations

import click
import segno
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.config import ConfigError, Settings
from gateway.db import make_engine
from gateway.security.pii import PiiVault
from gateway.staff.models import Staff, StaffRole
from gateway.staff.service import CLI, StaffError, create_staff, find_staff, lock_staff, reset_totp, unlock_staff


def _open() -> tuple[sessionmaker[Session], PiiVault]:
    """A session factory on the configured database, and the PII vault."""
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    return sessionmaker(bind=make_engine(settings.database_url)), PiiVault(
        settings.secret_key, settings.secret_key_fallbacks
    )


def _staff(session: Session, username: str) -> Staff:
    """The account named ``username``, or a clear refusal."""
    staff = find_staff(session, username)
    if staff is None:
        raise click.ClickException("no such staff account")
    return staff


def _show_secret(username: str, secret: str) -> None:
    from gateway.staff.totp import provisioning_uri

    uri = provisioning_uri(secret, username)
    click.echo("Scan this with an authenticator app (shown once):")
    segno.make(uri, error="m").terminal(compact=True)
    click.echo(uri)


@click.group("staff")
def cli() -> None:
    """Staff accounts (hotline agents, hall staff, reviewers, administrators)."""


@cli.command("add")
@click.argument("username")
@click.option("--name", required=True, help="The staff member's name.")
@click.option("--department", required=True, help="Department, e.g. 养老保险科.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in StaffRole]))
@click.password_option(help="Initial password (prompted when omitted).")
def add(username: str, name: str, department: str, roles: tuple[str, ...], password: str) -> None:
    """Create a staff account and print its TOTP enrolment QR once."""
    sessions, vault = _open()
    with sessions.begin() as session:
        try:
            made = create_staff(
                session,
                vault,
                username=username,
                name=name,
                department=department,
                password=password,
                roles=[StaffRole(r) for r in roles],
            )
        except StaffError as exc:
            raise click.ClickException(exc.message) from exc
        username, secret = made.staff.username, made.totp_secret
    _show_secret(username, secret)


@cli.command("list")
def list_staff() -> None:
    """Every staff account with its roles and lock state."""
    sessions, _vault = _open()
    with sessions() as session:
        for staff in session.scalars(select(Staff).order_by(Staff.username)):
            roles = ",".join(sorted(r.value for r in staff.roles))
            state = "locked" if staff.locked_until or not staff.active else "active"
            click.echo(f"{staff.username}\t{staff.name}\t{staff.department}\t{roles}\t{state}")


@cli.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Clear a lockout after too many failed logins, or re-enable a locked account."""
    sessions, _vault = _open()
    with sessions.begin() as session:
        unlock_staff(session, _staff(session, username), by=CLI)
    click.echo(f"{username} unlocked")


@cli.command("lock")
@click.argument("username")
def lock(username: str) -> None:
    """Lock an account until it is unlocked (a leaver, a lost token); its sessions end at once."""
    sessions, _vault = _open()
    with sessions.begin() as session:
        try:
            lock_staff(session, _staff(session, username), by=CLI)
        except StaffError as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(f"{username} locked")


@cli.command("reset-totp")
@click.argument("username")
def reset(username: str) -> None:
    """Give a staff member who lost their phone a new TOTP seed."""
    sessions, vault = _open()
    with sessions.begin() as session:
        secret = reset_totp(session, vault, _staff(session, username), by=CLI)
    _show_secret(username, secret)
