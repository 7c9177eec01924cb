"""``shebao audit verify``: prove the exchange log's chain unbroken, or name its first bad entry (issue 19)."""

from __future__ import annotations

import click

__all__ = ["audit"]


@click.group("audit")
def audit() -> None:
    """Evidence of the exchanges with the core system (the hash-chained exchange log)."""


@audit.command("verify")
def verify_command() -> None:
    """Walk the exchange log from its first entry; exit 1 and name the first bad entry if the chain is broken."""
    from sqlalchemy.orm import sessionmaker

    from gateway.backoffice.exchange_log import verify
    from gateway.config import ConfigError, Settings
    from gateway.db import make_engine

    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(settings.database_url)
    try:
        with sessionmaker(bind=engine)() as session:
            verdict = verify(session)
    finally:
        engine.dispose()
    if verdict.ok:
        click.echo(f"exchange log intact: {verdict.entries} entries")
        return
    click.echo(
        f"exchange log BROKEN at entry {verdict.bad_seq}: {verdict.reason} "
        f"({verdict.entries} entries verified before it)",
        err=True,
    )
    raise SystemExit(1)
