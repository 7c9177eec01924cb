"""/certificates/: choose → preview → download in three steps, login required; and /readyz's seal check."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from esign import pki
from esign.service import service_for
from tests.conftest import csrf_token, login, step_up


def test_login_is_required(esign_client):
    resp = esign_client.get("/certificates/")
    assert resp.status_code == 302 and "/account/login" in resp.headers["Location"]


def test_choose_preview_download(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    choose = esign_client.get("/certificates/")
    html = choose.get_data(as_text=True)
    assert choose.status_code == 200 and "个人参保证明" in html and "个人缴费记录" in html
    preview = esign_client.get("/certificates/preview?kind=person_proof")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "预览" in page and "职工基本养老保险" in page
    assert person.id_number not in page  # masked on screen
    assert person.name not in page  # in the table and in the sentence below it alike (issue 15)
    resp = esign_client.post("/certificates/download", data={"kind": "person_proof", "csrf_token": csrf_token(page)})
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith(b"%PDF") and b"/ByteRange" in resp.data
    assert resp.headers["Cache-Control"] == "no-store"


def test_contribution_record_for_a_period(esign_client, person, backoffice):
    login(esign_client, person.id_number)
    step_up(esign_client)
    last = backoffice.contributions(person.id_number, 1, 1).items[0].period
    start = f"{last // 100}-01"
    end = f"{last // 100}-{last % 100:02d}"
    page = esign_client.get(f"/certificates/preview?kind=contribution_record&start={start}&end={end}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f"{last // 100}年01月" in html
    resp = esign_client.post(
        "/certificates/download",
        data={"kind": "contribution_record", "start": start, "end": end, "csrf_token": csrf_token(html)},
    )
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"


def test_bad_choices_come_back_with_the_error_summarised(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    resp = esign_client.get("/certificates/preview?kind=contribution_record&start=2024-05&end=2024-01")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "error-summary" in html and "起始月份不能晚于截止月份" in html
    assert esign_client.get("/certificates/preview?kind=unit_proof").status_code == 400
    assert esign_client.get("/certificates/preview?kind=nonsense").status_code == 400
    bad = esign_client.get("/certificates/preview?kind=benefit_payments&start=abc&end=2024-01")
    assert bad.status_code == 400 and "年-月" in bad.get_data(as_text=True)


def test_download_needs_the_csrf_token(esign_client, person):
    login(esign_client, person.id_number)
    assert esign_client.post("/certificates/download", data={"kind": "person_proof"}).status_code == 400


def test_readyz_reports_the_seal(esign_client, esign_settings, seal_dir):
    body = esign_client.get("/readyz").json
    assert body["checks"]["seal"] == "ok"
    cert = service_for(esign_settings).sealer.certificate
    expiry = cert.not_valid_after_utc
    assert pki.seal_status(cert, expiry - timedelta(days=31)) is pki.SealStatus.OK
    assert pki.seal_status(cert, expiry - timedelta(days=29)) is pki.SealStatus.EXPIRING
    assert pki.seal_status(cert, expiry + timedelta(seconds=1)) is pki.SealStatus.EXPIRED


def test_readyz_warns_but_stays_ready_when_expiring_and_fails_when_expired(tmp_path, esign_settings, monkeypatch):
    import dataclasses

    from gateway import create_app

    for days, check, status in ((20, "expiring", 200), (-1, "expired", 503)):
        var = tmp_path / f"var{days}"
        now = datetime.now(UTC)
        # A seal issued long ago so that it ends ``days`` from now.
        pki.init_local(var / "seal", esign_settings.agency_name, now=now - timedelta(days=100), days=100 + days)
        settings = dataclasses.replace(esign_settings, var_dir=var)
        app = create_app(settings)
        resp = app.test_client().get("/readyz")
        app.extensions["shebao_engine"].dispose()
        assert resp.json["checks"]["seal"] == check
        assert resp.status_code == status


def test_unknown_seal_state_is_omitted_before_init(client):
    # The shared app has no seal made (embedded mode before `shebao seal init`): nothing to watch yet.
    assert "seal" not in client.get("/readyz").json["checks"]


def test_certificates_page_has_at_most_three_levels(esign_client, person):
    login(esign_client, person.id_number)
    step_up(esign_client)
    html = esign_client.get("/certificates/preview?kind=person_proof").get_data(as_text=True)
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S).group(0)
    assert crumbs.count("<li") == 3


def test_without_a_seal_the_pages_say_so_instead_of_failing(client, person):
    """The shared app's var/ has no seal (embedded mode before `shebao seal init`): a clear 503, never a 500."""
    import io

    resp = client.post(
        "/verify/pdf", data={"pdf": (io.BytesIO(b"%PDF-1.7"), "a.pdf")}, content_type="multipart/form-data"
    )
    assert resp.status_code == 503 and "暂时不可用" in resp.get_data(as_text=True)
    login(client, person.id_number)
    step_up(client)
    page = client.get("/certificates/preview?kind=person_proof").get_data(as_text=True)
    download = client.post("/certificates/download", data={"kind": "person_proof", "csrf_token": csrf_token(page)})
    assert download.status_code == 503 and "电子印章服务暂时不可用" in download.get_data(as_text=True)


def test_the_web_download_is_traced_like_every_other_channel(esign_client, person, esign_settings):
    """LD/T 01 6.3.2: the web's download goes through the one certificates use case, which traces it."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from gateway.identity.models import EventKind, IdentityEvent
    from gateway.identity.service import find_person
    from gateway.security.pii import PiiVault

    login(esign_client, person.id_number)
    step_up(esign_client)
    page = esign_client.get("/certificates/preview?kind=person_proof").get_data(as_text=True)
    resp = esign_client.post("/certificates/download", data={"kind": "person_proof", "csrf_token": csrf_token(page)})
    assert resp.status_code == 200
    engine = sa.create_engine(esign_settings.database_url)
    try:
        with Session(engine) as db:
            who = find_person(db, PiiVault(esign_settings.secret_key), person.id_number)
            details = db.scalars(
                sa.select(IdentityEvent.detail).where(
                    IdentityEvent.person_id == who.id,
                    IdentityEvent.kind == EventKind.OPERATION,
                    IdentityEvent.channel == "web",
                )
            ).all()
    finally:
        engine.dispose()
    assert "下载个人参保证明" in details
