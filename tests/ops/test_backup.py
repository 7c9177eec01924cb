"""``shebao backup`` / ``shebao restore`` in fresh processes: an archive of a serving gateway, restored into an
empty directory and an empty database, still holds a booking, an application with its files and a sealed
certificate that verifies (LD/T 01 6.3.3). On SQLite, and on PostgreSQL in the PostgreSQL lane."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from esign import documents, pki
from esign.service import Outcome, service_for
from esign.validate import PdfVerdict
from gateway import clock
from gateway.applications import uploads
from gateway.applications.models import Application, ApplicationMaterial, ApplicationStatus
from gateway.appointments.models import Booking, BookingStatus, Hall, HallItem, Slot
from gateway.appointments.service import book
from gateway.backoffice.local import LocalBackOffice
from gateway.backup import BackupError, decrypt, encrypt
from gateway.certificates import verification
from gateway.channel_policy import Channel
from gateway.identity.service import ensure_person
from gateway.security.pii import PiiVault
from tests.conftest import TEST_SECRET

PASSPHRASE = "correct horse battery staple"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
VERIFY_URL = "http://127.0.0.1:8000/verify/"


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_")}
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args], env=base | env, capture_output=True, text=True, timeout=300
    )


def _weekday_after(start: date) -> date:
    day = start + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
def serving(settings, accounts, tmp_path):
    """A gateway's var/ (local seal, one upload) and database with a booking, an application and a certificate."""
    var = tmp_path / "source-var"
    pki.init_local(var / "seal", settings.agency_name)
    uploads.use_vault(var, PiiVault(TEST_SECRET))  # what the app does at start: uploads are sealed at rest
    source = dataclasses.replace(settings, var_dir=var)
    engine = sa.create_engine(settings.database_url)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    account = accounts[1]
    tag = os.urandom(3).hex().upper()
    with sessions.begin() as s:
        person = ensure_person(s, PiiVault(TEST_SECRET), account.id_number, account.name)
        hall = Hall(code=f"B{tag}", name="备份测试大厅", address="-", phone="-", hours="-", map_url="")
        s.add(hall)
        s.flush()
        s.add(HallItem(hall_id=hall.id, item_id="person-registration"))
        slot = Slot(hall_id=hall.id, day=_weekday_after(clock.local_now().date()), start=time(9), end=time(9, 30),
                    capacity=3, booked=0)  # fmt: skip
        s.add(slot)
        s.flush()
        booking = book(s, person_id=person.id, item_id="person-registration", slot_id=slot.id, now=clock.now(),
                       channel=Channel.WEB)  # fmt: skip
        [stored] = uploads.store_files([uploads.IncomingFile("身份证", "身份证.pdf", PDF)], var)
        application = Application(
            item_id="flexible-contribution", item_name="灵活就业人员参保登记", handling_kind="promised",
            person_id=person.id, status=ApplicationStatus.SUBMITTED, channel="web", department="养老保险科",
            created_at=clock.now(), updated_at=clock.now(), submitted_at=clock.now(), number=f"B{tag}000001",
        )  # fmt: skip
        s.add(application)
        s.flush()
        s.add(ApplicationMaterial(application_id=application.id, material="身份证", filename=stored.filename,
                                  stored_name=stored.stored_name, content_type=stored.kind.value, size=stored.size,
                                  sha256=stored.sha256, uploaded_at=clock.now()))  # fmt: skip
        issued = service_for(source).issue(s, documents.person_proof(LocalBackOffice(sessions), account.id_number),
                                           VERIFY_URL)  # fmt: skip
    engine.dispose()
    yield {"settings": source, "booking": booking.code, "application": application.number, "file": stored,
           "pdf": issued.pdf, "code": issued.code}  # fmt: skip


@pytest.fixture
def empty_database(database_url, tmp_path):
    """Where to restore: a new SQLite file, or a fresh PostgreSQL database beside the test one."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'restored-var' / 'shebao.db'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_restore"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_backup_then_restore_into_an_empty_place(serving, empty_database, tmp_path):
    source = serving["settings"]
    archive = tmp_path / "shebao-backup.tar"
    env = {"SHEBAO_SECRET_KEY": TEST_SECRET, "SHEBAO_BACKUP_PASSPHRASE": PASSPHRASE, "SHEBAO_SANDBOXES": "0"}
    source_env = {"SHEBAO_DATABASE_URL": source.database_url, "SHEBAO_VAR_DIR": str(source.var_dir)}
    made = _cli("backup", "--output", str(archive), env=env | source_env)
    assert made.returncode == 0, made.stderr
    # The seal's private key is inside, but never in the clear.
    seal_key = next(p for p in (source.var_dir / "seal").rglob("*key*") if p.is_file()).read_bytes()
    assert seal_key not in archive.read_bytes()

    target = tmp_path / "restored-var"
    target.mkdir()
    restore_env = env | {"SHEBAO_DATABASE_URL": empty_database, "SHEBAO_VAR_DIR": str(target)}
    wrong = _cli("restore", str(archive), env=restore_env | {"SHEBAO_BACKUP_PASSPHRASE": "not the passphrase!"})
    assert wrong.returncode != 0 and "口令不正确" in wrong.stderr
    assert not (target / "uploads").exists()  # nothing written on a wrong passphrase

    done = _cli("restore", str(archive), env=restore_env)
    assert done.returncode == 0, done.stderr
    again = _cli("restore", str(archive), env=restore_env)
    assert again.returncode != 0  # into a place that is no longer empty: refused

    restored = dataclasses.replace(source, var_dir=target, database_url=empty_database)
    engine = sa.create_engine(empty_database)
    try:
        with sessionmaker(bind=engine)() as s:
            booking = s.scalar(sa.select(Booking).where(Booking.code == serving["booking"]))
            assert booking is not None and booking.status is BookingStatus.BOOKED
            application = s.scalar(sa.select(Application).where(Application.number == serving["application"]))
            [material] = application.materials
            uploads.use_vault(target, PiiVault(TEST_SECRET))  # the restored gateway runs with the same secret
            data = uploads.open_stored(material.stored_name, target)
            assert hashlib.sha256(data).hexdigest() == material.sha256 == serving["file"].sha256
            # The certificate, through the public verification path, with the restored seal and database.
            sealer = service_for(restored)
            assert verification.by_code(s, sealer, serving["code"]).outcome is Outcome.GENUINE
            check, lookup = verification.by_pdf(s, sealer, serving["pdf"], client="restore-test", work_dir=tmp_path)
            assert check.verdict is PdfVerdict.SEALED
            assert lookup is not None and lookup.outcome is Outcome.GENUINE
    finally:
        engine.dispose()


def test_the_keys_are_sealed_with_the_passphrase():
    blob = encrypt(b"seal private key", PASSPHRASE)
    assert b"seal private key" not in blob
    assert decrypt(blob, PASSPHRASE) == b"seal private key"
    with pytest.raises(BackupError):
        decrypt(blob, PASSPHRASE + "x")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(BackupError):
        decrypt(tampered, PASSPHRASE)
    with pytest.raises(BackupError):
        encrypt(b"x", "short")


def test_a_missing_sqlite_database_is_not_backed_up_as_an_empty_one(tmp_path):
    missing = f"sqlite:///{tmp_path / 'nowhere' / 'shebao.db'}"
    env = {"SHEBAO_SECRET_KEY": TEST_SECRET, "SHEBAO_BACKUP_PASSPHRASE": PASSPHRASE, "SHEBAO_SANDBOXES": "0",
           "SHEBAO_DATABASE_URL": missing, "SHEBAO_VAR_DIR": str(tmp_path / "var")}  # fmt: skip
    made = _cli("backup", "--output", str(tmp_path / "b.tar"), env=env)
    assert made.returncode != 0 and "数据库文件不存在" in made.stderr
    assert not (tmp_path / "b.tar").exists() and not (tmp_path / "nowhere" / "shebao.db").exists()


def test_the_passphrase_is_asked_for_when_not_in_the_environment(settings, tmp_path, monkeypatch):
    import tarfile

    from click.testing import CliRunner

    from gateway import cli
    from gateway.backup import KEYS_MEMBER

    monkeypatch.delenv("SHEBAO_BACKUP_PASSPHRASE", raising=False)
    env = {"SHEBAO_SECRET_KEY": TEST_SECRET, "SHEBAO_DATABASE_URL": settings.database_url,
           "SHEBAO_VAR_DIR": str(tmp_path / "var")}  # fmt: skip
    archive = tmp_path / "asked.tar"
    mismatch = CliRunner().invoke(cli.main, ["backup", "-o", str(archive)], env=env, input=f"{PASSPHRASE}\nother\n")
    assert mismatch.exit_code != 0 and not archive.exists()  # the two entries differ: asked again, then aborted
    made = CliRunner().invoke(cli.main, ["backup", "-o", str(archive)], env=env, input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert made.exit_code == 0, made.output
    with tarfile.open(archive) as tar:
        assert decrypt(tar.extractfile(KEYS_MEMBER).read(), PASSPHRASE)  # a tar of the (here: no) key files
