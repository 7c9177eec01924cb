"""The retention clean-up (LD/T 01 6.3.3): what goes after the operator's periods, what always stays."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import sessionmaker

from gateway import clock, scheduler
from gateway.applications import uploads
from gateway.applications.models import Application, ApplicationMaterial, ApplicationStatus
from gateway.identity.models import RefreshToken, SmsCode, SmsPurpose, WebSession
from gateway.identity.service import ensure_person
from gateway.retention import RetentionError, RetentionPolicy, clean_up
from gateway.security.pii import PiiVault
from gateway.staff.models import AuditAction, AuditEntry
from gateway.validation import make_id_number
from tests.conftest import TEST_SECRET

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def sessions(database_url):
    engine = sa.create_engine(database_url)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def _application(s, person_id: int, status: ApplicationStatus, touched, var_dir: Path) -> tuple[int, str]:
    """An application last touched at ``touched`` with one uploaded file on disk; (id, stored file name)."""
    app = Application(
        item_id="flexible-contribution",
        item_name="灵活就业人员参保登记",
        handling_kind="instant",
        person_id=person_id,
        status=status,
        channel="web",
        department="养老保险科",
        created_at=touched,
        updated_at=touched,
        submitted_at=None if status is ApplicationStatus.DRAFT else touched,
        number=None if status is ApplicationStatus.DRAFT else f"R{os.urandom(6).hex().upper()}",
    )
    s.add(app)
    s.flush()
    uploads.use_vault(var_dir, PiiVault(TEST_SECRET))  # what the app does at start: uploads are sealed at rest
    [stored] = uploads.store_files([uploads.IncomingFile("身份证", "id.png", PNG)], var_dir)
    s.add(
        ApplicationMaterial(
            application_id=app.id,
            material="身份证",
            filename=stored.filename,
            stored_name=stored.stored_name,
            content_type=stored.kind.value,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_at=touched,
        )
    )
    return app.id, stored.stored_name


@pytest.fixture
def aged_data(sessions, tmp_path):
    """Expired and live login material and applications of several ages, for one new person."""
    now = clock.now()
    tag = os.urandom(4).hex()
    with sessions.begin() as s:
        person = ensure_person(
            s,
            PiiVault(TEST_SECRET),
            make_id_number("110105", date(1980, 5, 1) + timedelta(days=int(tag, 16) % 9000), 101),
            "留存测试",
        )
        s.flush()

        def session_row(key: str, expires):
            s.add(WebSession(id=f"{key}-{tag}", data="{}", person_id=person.id, created_at=now - timedelta(days=30),
                             last_seen_at=expires, expires_at=expires))  # fmt: skip

        session_row("old", now - timedelta(days=8))
        session_row("recent", now - timedelta(days=1))
        session_row("live", now + timedelta(hours=1))
        for label, expires in (("old", now - timedelta(days=10)), ("live", now + timedelta(minutes=5))):
            s.add(SmsCode(phone_digest=f"{label}-{tag}", purpose=SmsPurpose.LOGIN, code_hash="x" * 64, attempts=0,
                          created_at=expires - timedelta(minutes=5), expires_at=expires, used=False))  # fmt: skip
            s.add(RefreshToken(token_hash=f"{label}-{tag}".ljust(64, "0"), family=tag, person_id=person.id,
                               channel="mini", level=2, created_at=expires - timedelta(days=30),
                               expires_at=expires))  # fmt: skip
        abandoned = _application(s, person.id, ApplicationStatus.DRAFT, now - timedelta(days=91), tmp_path)
        fresh_draft = _application(s, person.id, ApplicationStatus.DRAFT, now - timedelta(days=10), tmp_path)
        submitted = _application(s, person.id, ApplicationStatus.SUBMITTED, now - timedelta(days=400), tmp_path)
    return {"tag": tag, "abandoned": abandoned, "fresh": fresh_draft, "submitted": submitted}


def test_expired_data_goes_and_everything_else_stays(sessions, aged_data, tmp_path):
    tag = aged_data["tag"]
    with sessions() as s:
        audit_before = s.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    with sessions.begin() as s:
        report = clean_up(s, clock.now(), RetentionPolicy(expired_days=7, withdrawn_days=90), tmp_path)
    assert report.removed["withdrawn_applications"] >= 1 and report.removed["withdrawn_files"] >= 1
    assert report.removed["web_sessions"] >= 1 and report.removed["sms_codes"] >= 1
    with sessions() as s:
        sessions_left = set(s.scalars(sa.select(WebSession.id).where(WebSession.id.like(f"%-{tag}"))))
        assert sessions_left == {f"recent-{tag}", f"live-{tag}"}  # a day past expiry is still kept
        codes_left = set(s.scalars(sa.select(SmsCode.phone_digest).where(SmsCode.phone_digest.like(f"%-{tag}"))))
        assert codes_left == {f"live-{tag}"}
        assert s.scalar(sa.select(sa.func.count()).select_from(RefreshToken).where(RefreshToken.family == tag)) == 1
        # The abandoned draft, its material row and its file are gone; the fresh draft and the submitted
        # application keep theirs.
        assert s.get(Application, aged_data["abandoned"][0]) is None
        assert not (tmp_path / "uploads" / aged_data["abandoned"][1]).exists()
        for kept in ("fresh", "submitted"):
            app_id, stored = aged_data[kept]
            assert s.get(Application, app_id) is not None
            assert (tmp_path / "uploads" / stored).exists()
            assert s.scalar(sa.select(ApplicationMaterial.id).where(ApplicationMaterial.application_id == app_id))
        # The audit trail is never cleaned: every earlier entry is there, plus one saying what went.
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audit_before + 1
        last = s.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        assert last.action is AuditAction.DATA_CLEANED and last.staff_id is None
        assert "已放弃申请的上传文件" in last.detail and "LD/T 01 6.3.3" in last.detail


def test_a_rolled_back_clean_up_keeps_the_files(sessions, aged_data, tmp_path):
    with sessions() as s:
        clean_up(s, clock.now(), RetentionPolicy(), tmp_path)
        s.rollback()
    with sessions() as s:
        assert s.get(Application, aged_data["abandoned"][0]) is not None
    assert (tmp_path / "uploads" / aged_data["abandoned"][1]).exists()


def test_a_longer_period_keeps_more(sessions, aged_data, tmp_path):
    with sessions.begin() as s:
        clean_up(s, clock.now(), RetentionPolicy(expired_days=30, withdrawn_days=365), tmp_path)
    with sessions() as s:
        assert s.get(Application, aged_data["abandoned"][0]) is not None
        tag = aged_data["tag"]
        assert s.scalar(sa.select(sa.func.count()).select_from(WebSession).where(WebSession.id.like(f"%-{tag}"))) == 3


def test_settings_are_read_and_checked():
    assert RetentionPolicy.from_env({}) == RetentionPolicy(expired_days=7, withdrawn_days=90)
    env = {"SHEBAO_RETENTION_EXPIRED_DAYS": "14", "SHEBAO_RETENTION_WITHDRAWN_DAYS": "30"}
    assert RetentionPolicy.from_env(env) == RetentionPolicy(expired_days=14, withdrawn_days=30)
    for bad in ("0", "-3", "seven"):
        with pytest.raises(RetentionError):
            RetentionPolicy.from_env({"SHEBAO_RETENTION_WITHDRAWN_DAYS": bad})


def test_the_scheduler_runs_the_clean_up(app, aged_data, tmp_path):
    import dataclasses

    settings = dataclasses.replace(app.config["SETTINGS"], var_dir=tmp_path)
    sessions = sessionmaker(bind=app.extensions["shebao_engine"])
    jobs = [j for j in scheduler.jobs_for(settings, sessions, RetentionPolicy()) if j.name == "retention clean-up"]
    done = scheduler.run_due(sessions, {}, 0.0, jobs)
    assert done["retention clean-up"] >= 3  # the old session, code, token, the draft and its file at least
    assert not (tmp_path / "uploads" / aged_data["abandoned"][1]).exists()


def test_shebao_cleanup_by_hand(database_url, aged_data, tmp_path):
    from gateway import cli

    env = {"SHEBAO_DATABASE_URL": database_url, "SHEBAO_SECRET_KEY": TEST_SECRET, "SHEBAO_VAR_DIR": str(tmp_path),
           "SHEBAO_RETENTION_WITHDRAWN_DAYS": "90"}  # fmt: skip
    result = CliRunner().invoke(cli.main, ["cleanup"], env=env)
    assert result.exit_code == 0, result.output
    assert "已放弃申请的上传文件" in result.output
    assert not (tmp_path / "uploads" / aged_data["abandoned"][1]).exists()
    bad = CliRunner().invoke(cli.main, ["cleanup"], env=env | {"SHEBAO_RETENTION_EXPIRED_DAYS": "0"})
    assert bad.exit_code != 0 and "at least 1 day" in bad.output


def test_answers_remembered_for_api_retries_go_once_no_retry_may_use_them(sessions, tmp_path):
    """gateway/idempotency.py keeps an answer a day for a client's retry; the clean-up removes it after that
    (its body may hold personal data), and keeps the ones a retry may still ask for."""
    from gateway import idempotency
    from gateway.idempotency import IdempotentAnswer

    now = clock.now()
    tag = os.urandom(4).hex()
    with sessions.begin() as s:
        for label, age in (("old", idempotency.KEEP_FOR + timedelta(minutes=1)), ("fresh", timedelta(hours=1))):
            s.add(IdempotentAnswer(actor=f"test-{tag}", key=label, fingerprint="f" * 64, status=201,
                                   content_type="application/json", body=b"{}", created_at=now - age))  # fmt: skip
    with sessions.begin() as s:
        report = clean_up(s, now, RetentionPolicy(), tmp_path)
    assert report.removed["idempotency_answers"] >= 1
    assert "过期的重复提交保护应答" in report.summary()
    with sessions() as s:
        left = set(s.scalars(sa.select(IdempotentAnswer.key).where(IdempotentAnswer.actor == f"test-{tag}")))
    assert left == {"fresh"}
