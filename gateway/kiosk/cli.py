"""``shebao kiosk …``: enrol a kiosk at a hall (credentials printed once), list, disable, enable."""

from __future__ import annotations

import click

from gateway.config import ConfigError, Settings


def _sessions():
    from sqlalchemy.orm import sessionmaker

    from gateway.db import make_engine

    engine = make_engine(_settings().database_url)
    return engine, sessionmaker(bind=engine)


@click.group("kiosk")
def kiosk() -> None:
    """Self-service kiosks (自助服务终端) as registered devices."""


@kiosk.command("enrol")
@click.argument("hall")
@click.option(
    "--bridge",
    default=None,
    help="Also install the credentials into the card-reader bridge at this URL (e.g. the sandbox's /card-reader).",
)
def enrol_command(hall: str, bridge: str | None) -> None:
    """Register a new kiosk at service hall HALL (its code, e.g. H01) and print its credentials once."""
    from gateway.kiosk.devices import enrol
    from gateway.problems import UserError

    engine, sessions = _sessions()
    try:
        with sessions.begin() as session:
            device = enrol(session, hall)
    except UserError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        engine.dispose()
    click.echo(f"device id:   {device.device_id}")
    click.echo(f"hall:        {device.hall_code}")
    click.echo(f"private key: {device.private_key}")
    if bridge:
        import requests

        resp = requests.post(
            bridge.rstrip("/") + "/test/configure",
            json={"device_id": device.device_id, "private_key": device.private_key},
            timeout=5,
        )
        if resp.status_code != 200:
            raise click.ClickException(f"the bridge at {bridge} refused the credentials ({resp.status_code})")
        click.echo(f"installed into the bridge at {bridge}")
    else:
        click.echo("Put both into the kiosk's card-reader bridge now: the key is not stored and cannot be shown again.")


@kiosk.command("list")
def list_command() -> None:
    """Show the enrolled kiosks, their hall, state and last contact."""
    from gateway.clock import format_beijing
    from gateway.kiosk.devices import devices

    engine, sessions = _sessions()
    try:
        with sessions() as session:
            for device, hall in devices(session):
                seen = format_beijing(device.last_seen_at, "%Y-%m-%d %H:%M Beijing", "never")
                state = "enabled" if device.enabled else "disabled"
                click.echo(f"{device.device_id}\t{hall.code}\t{state}\tlast seen {seen}")
    finally:
        engine.dispose()


def _switch(device_id: str, enabled: bool) -> None:
    from gateway.kiosk.devices import set_enabled

    engine, sessions = _sessions()
    try:
        with sessions.begin() as session:
            if not set_enabled(session, device_id, enabled):
                raise click.ClickException(f"no kiosk {device_id}")
    finally:
        engine.dispose()
    click.echo(f"{device_id} {'enabled' if enabled else 'disabled'}")


@kiosk.command("disable")
@click.argument("device_id")
def disable_command(device_id: str) -> None:
    """Stop accepting DEVICE_ID's requests (a lost or retired kiosk)."""
    _switch(device_id, False)


@kiosk.command("enable")
@click.argument("device_id")
def enable_command(device_id: str) -> None:
    """Accept DEVICE_ID's requests again."""
    _switch(device_id, True)


@kiosk.command("demo")
@click.argument("hall", default="H01")
@click.option("--pin", default="123456", show_default=True, help="The PIN the demo card's chip is given.")
def demo_command(hall: str, pin: str) -> None:
    """Try a kiosk by hand: enrol one at HALL into the sandbox card reader and put the demo employee's card in."""
    import requests

    from gateway.backoffice.demo import DEMO_PEOPLE
    from gateway.backoffice.local import LocalBackOffice
    from gateway.kiosk.devices import enrol

    settings = _settings()
    if settings.production:
        raise click.ClickException("the kiosk demo uses the sandbox card reader; never in production")
    bridge = settings.sandbox_url.rstrip("/") + "/card-reader"
    engine, sessions = _sessions()
    try:
        with sessions.begin() as session:
            device = enrol(session, hall)
        holder = LocalBackOffice(sessions).find_person(DEMO_PEOPLE[0].id_number)
    finally:
        engine.dispose()
    if holder is None:
        raise click.ClickException("no demo population: run `shebao demo-data` first")
    try:
        requests.post(
            f"{bridge}/test/configure",
            json={"device_id": device.device_id, "private_key": device.private_key},
            timeout=5,
        ).raise_for_status()
        card = {"card_number": holder.card_number, "aac002": holder.id_number, "aac003": holder.name, "pin": pin}
        requests.post(f"{bridge}/test/insert", json=card, timeout=5).raise_for_status()
    except requests.RequestException as exc:
        raise click.ClickException(
            f"the sandbox card reader at {bridge} did not answer ({exc}); is `make run` up?"
        ) from exc
    click.echo(f"kiosk {device.device_id} enrolled at {hall}; {holder.name}'s card is in the sandbox reader.")
    click.echo(
        f"1. open {settings.public_url or 'http://127.0.0.1:' + str(settings.port)}/kiosk/{hall}/ and choose 社保卡登录"
    )
    click.echo(f"2. open {bridge}/ (the reader's keypad) and type {pin}")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
