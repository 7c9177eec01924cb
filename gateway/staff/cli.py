"""``shebao staff``: create staff accounts, list them, unlock one, reset a lost second factor."""

from __future__ import annotations

import click
import segno
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from gateway.config import ConfigError, Settings
from gateway.db import make_engine
from gateway.security.pii import PiiVault
from gateway.staff.models import Staff, StaffRole
from gateway.staff.service import StaffError, create_staff, find_staff, reset_totp, unlock_staff


def _open():
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    return sessionmaker(bind=make_engine(settings.database_url))(), PiiVault(settings.secret_key)


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
    session, vault = _open()
    with session:
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
        session.commit()
        _show_secret(made.staff.username, made.totp_secret)


@cli.command("list")
def list_staff() -> None:
    """Every staff account with its roles and lock state."""
    session, _vault = _open()
    with session:
        for staff in session.scalars(select(Staff).order_by(Staff.username)):
            roles = ",".join(sorted(r.value for r in staff.roles))
            state = "locked" if staff.locked_until else ("active" if staff.active else "disabled")
            click.echo(f"{staff.username}\t{staff.name}\t{staff.department}\t{roles}\t{state}")


@cli.command("unlock")
@click.argument("username")
def unlock(username: str) -> None:
    """Clear a lockout after too many failed logins."""
    session, _vault = _open()
    with session:
        staff = find_staff(session, username)
        if staff is None:
            raise click.ClickException("no such staff account")
        unlock_staff(session, staff, by=None)
        session.commit()
        click.echo(f"{staff.username} unlocked")


@cli.command("reset-totp")
@click.argument("username")
def reset(username: str) -> None:
    """Give a staff member who lost their phone a new TOTP seed."""
    session, vault = _open()
    with session:
        staff = find_staff(session, username)
        if staff is None:
            raise click.ClickException("no such staff account")
        secret = reset_totp(session, vault, staff, by=None)
        session.commit()
        _show_secret(staff.username, secret)
