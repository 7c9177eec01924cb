"""esign fixtures: the local agency CA and seal made once per run (in this folder's own var/), the service,
an app on those settings, the back office, and the roots for the independent `pyhanko sign validate`."""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from esign import pki
from esign.service import CertificateService, service_for
from gateway import create_app
from gateway.backoffice.local import LocalBackOffice
from gateway.config import Settings
from gateway.identity.service import ensure_person
from gateway.security.limits import limiter
from tests.support import resident_id

VERIFY_URL = "http://127.0.0.1:8000/verify/"
_taken = itertools.count()
PYHANKO = Path(sys.executable).with_name("pyhanko")


def pyhanko_validate(
    pdf: bytes, root_pems: list[Path], tmp_path: Path, revocation: tuple[str, ...] = ("--no-revocation-check",)
) -> str:
    """The independent check: pyHanko's own command line as a separate process, trusting only the given roots.
    Asserts the seal is valid and returns the report. ``revocation=()`` checks revocation (hard-fail)."""
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    trust = [arg for root in root_pems for arg in ("--trust", str(root))]
    result = subprocess.run(
        [str(PYHANKO), "sign", "validate", *trust, "--trust-replace", *revocation,
         "--executive-summary", str(path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert ":VALID" in result.stdout
    return result.stdout


@pytest.fixture(scope="session")
def esign_settings(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The shared settings with a var/ of our own, so the seal made here does not show up in other tests."""
    return dataclasses.replace(settings, var_dir=tmp_path_factory.mktemp("esign-var"))


@pytest.fixture(scope="session")
def seal_dir(esign_settings: Settings) -> Path:
    """The embedded default: agency CA + seal certificate under var/seal, made once for the session."""
    directory = Path(esign_settings.var_dir) / "seal"
    pki.init_local(directory, esign_settings.agency_name)
    return directory


@pytest.fixture(scope="session")
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = sa.create_engine(database_url)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def db(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture(scope="session")
def backoffice(sessions: sessionmaker[Session]) -> LocalBackOffice:
    return LocalBackOffice(sessions)


@pytest.fixture(scope="session")
def service(esign_settings: Settings, seal_dir: Path) -> CertificateService:
    return service_for(esign_settings)


@pytest.fixture
def esign_app(esign_settings: Settings, seal_dir: Path) -> Iterator[Flask]:
    app = create_app(esign_settings)
    app.config["TESTING"] = True
    yield app
    limiter.reset()
    app.extensions["shebao_engine"].dispose()


@pytest.fixture
def esign_client(esign_app: Flask) -> FlaskClient:
    return esign_app.test_client()


@pytest.fixture(scope="session")
def root_pems(service: CertificateService, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The agency root and the pinned TSA root as PEM files (after one document pinned the TSA)."""
    out = tmp_path_factory.mktemp("roots")
    paths = []
    for i, cert in enumerate((*service.trust_roots(), *service.tsa_roots())):
        path = out / f"root{i}.pem"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        paths.append(path)
    return paths


@pytest.fixture(scope="session")
def _insured(database_url: str) -> list[tuple[str, str]]:
    """Employed back-office people with pension contributions, highest ids first (the applications tests take
    the lowest ids, and the demo logins' own pages are checked elsewhere)."""
    from gateway.backoffice.demo import DEMO_PEOPLE

    demo = {d.id_number for d in DEMO_PEOPLE}
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT p.id_number, p.name FROM bo_person p WHERE p.status = 'working' AND p.unit_id IS NOT NULL"
                " AND EXISTS (SELECT 1 FROM bo_contribution c WHERE c.person_id = p.id AND c.scheme = 'pension')"
                " ORDER BY p.id DESC"
            )
        ).all()
    engine.dispose()
    return [(r.id_number, r.name) for r in rows if r.id_number not in demo and resident_id(r.id_number)]


@pytest.fixture
def applicant(_insured, db, vault):
    """A fresh applicant each time: (gateway Person, ID number, name)."""
    id_number, name = _insured[next(_taken)]
    person = ensure_person(db, vault, id_number, name)
    db.commit()
    return person, id_number, name


@pytest.fixture
def vault(esign_app):
    return esign_app.extensions["shebao_vault"]
