"""What ``shebao seal …`` does (the click commands are in gateway/cli.py), as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from esign import pki
from esign.service import EsignConfig
from gateway.config import Settings


def _local(settings: Settings) -> EsignConfig:
    config = EsignConfig.from_settings(settings)
    if config.seal.pkcs12 or config.seal.key_file:
        raise click.ClickException(
            "印章来自配置的 PKCS#12/PEM 文件（SHEBAO_SEAL_*），请向证书机构申请新证书后更换文件。"
        )
    return config


def _crl_url(settings: Settings) -> str:
    """The local CA's CRL address written into new seal certificates (served by /certificates/agency-ca.crl)."""
    return pki.crl_url(settings.public_url or f"http://{settings.host}:{settings.port}")


def init(settings: Settings) -> str:
    config = _local(settings)
    made = pki.init_local(config.seal.directory, config.agency, crl_url=_crl_url(settings))
    cert = pki.load_seal(config.seal).cert
    verb = "created" if made else "already present"
    return f"seal {verb}: serial {cert.serial_number:x}, valid until {cert.not_valid_after_utc:%Y-%m-%d}"


def rotate(settings: Settings) -> str:
    config = _local(settings)
    try:
        cert = pki.rotate_local(config.seal.directory, config.agency, crl_url=_crl_url(settings))
    except pki.SealError as exc:
        raise click.ClickException(str(exc)) from exc
    return (
        f"new seal: serial {cert.serial_number:x}, valid until {cert.not_valid_after_utc:%Y-%m-%d}; "
        "the gateway uses it from the next certificate on"
    )


def status(settings: Settings) -> str:
    config = EsignConfig.from_settings(settings)
    try:
        cert = pki.load_seal(config.seal).cert
    except pki.SealError as exc:
        raise click.ClickException(str(exc)) from exc
    state = pki.seal_status(cert, datetime.now(UTC))
    return f"seal serial {cert.serial_number:x}: {state.value}, valid until {cert.not_valid_after_utc:%Y-%m-%d}"
