"""``shebao certs``: the demo CA for unit certificate login (embedded mode)."""

from __future__ import annotations

import click

from gateway.config import Settings


@click.group("certs")
def certs() -> None:
    """Unit digital certificates (certificate login; gateway/units/certificates.py)."""


@certs.command("demo")
def demo() -> None:
    """Make the demo CA, its CRL and the USB-key sandbox's demo unit certificates under var/unit-ca, once."""
    settings = Settings.from_env()
    if settings.production:
        raise click.ClickException("SHEBAO_ENV=production trusts only SHEBAO_CERT_CA_ROOTS; no demo CA is made.")
    from gateway.units.demo_ca import SLOTS, ensure_demo_pki

    pki = ensure_demo_pki(settings.var_dir)
    click.echo(f"demo CA: {pki.ca_pem}")
    click.echo(f"CRL:     {pki.crl_pem}")
    for slot in SLOTS:
        click.echo(f"USB key ({slot}): {pki.slot(slot)[0]}")
