"""Expiring download links (for the hotline): one document, signed with the app secret, public while valid,
a clear Chinese page when expired or tampered with, rate-limited."""

from __future__ import annotations

import dataclasses
import hashlib
import time

import pytest

from esign import documents, links, stored
from esign.service import Outcome
from tests.esign.conftest import VERIFY_URL

SECRET = "a-secret-key-long-enough-for-the-links-0123"


@pytest.fixture(scope="module")
def kept(service, sessions, backoffice, accounts) -> int:
    """A person proof issued and kept, as the hotline console would before sending its link."""
    retiree = next(a for a in accounts if a.key == "retiree").id_number
    with sessions() as db:
        issued = service.issue(db, documents.person_proof(backoffice, retiree), VERIFY_URL)
        document_id = stored.keep(db, issued)
        assert stored.keep(db, issued) == document_id  # keeping twice keeps one copy
        db.commit()  # keep() only flushes: the caller's transaction owns the commit
    return document_id


def test_token_names_one_document_until_it_expires():
    token = links.download_token(SECRET, 42, ttl_s=60, now=1_000_000)
    assert links.read_token(SECRET, token, now=1_000_059) == 42
    with pytest.raises(links.LinkError) as expired:
        links.read_token(SECRET, token, now=1_000_060)
    assert expired.value.problem is links.LinkProblem.EXPIRED


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature changed
        lambda t: links.download_token("another-secret-of-enough-length-xyz", 42, ttl_s=60),  # other key
        lambda t: "not-a-token",
        lambda t: "",
    ],
)
def test_forged_or_broken_tokens_are_invalid(mangle):
    token = links.download_token(SECRET, 42, ttl_s=60)
    with pytest.raises(links.LinkError) as exc:
        links.read_token(SECRET, mangle(token))
    assert exc.value.problem is links.LinkProblem.INVALID


def test_a_link_cannot_be_pointed_at_another_document():
    # The payload is readable (base64) but any change to it breaks the signature.
    import base64
    import json

    token = links.download_token(SECRET, 42, ttl_s=60)
    payload, _, signature = token.partition(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data[0] = 43
    forged = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
    with pytest.raises(links.LinkError):
        links.read_token(SECRET, f"{forged}.{signature}")


def test_download_link_defaults_to_the_settings_ttl(esign_settings):
    settings = dataclasses.replace(esign_settings, public_url="https://shebao.example.gov.cn/")
    assert settings.download_link_ttl_s == 24 * 3600
    now = time.time()
    url = links.download_link(settings, 7, now=now)
    assert url.startswith("https://shebao.example.gov.cn/certificates/d/")
    token = url.rsplit("/", 1)[1]
    assert links.read_token(settings.secret_key, token, now=now + 24 * 3600 - 1) == 7
    with pytest.raises(links.LinkError):
        links.read_token(settings.secret_key, token, now=now + 24 * 3600)
    short = links.download_link(settings, 7, ttl_s=60, now=now).rsplit("/", 1)[1]
    with pytest.raises(links.LinkError):
        links.read_token(settings.secret_key, short, now=now + 61)
    assert links.download_link(esign_settings, 7).startswith("/certificates/d/")  # no public URL: a path
    with pytest.raises(ValueError):
        links.download_link(settings, 7, ttl_s=0)


def test_the_link_serves_the_pdf_without_login(esign_client, esign_settings, kept, service, db):
    url = links.download_link(esign_settings, kept)
    resp = esign_client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data == stored.kept_file(db, kept).pdf
    assert "attachment" in resp.headers["Content-Disposition"] and resp.headers["Cache-Control"] == "no-store"
    check = service.by_fingerprint(db, hashlib.sha256(resp.data).hexdigest())
    assert check.outcome is Outcome.GENUINE


def test_an_expired_link_gets_a_clear_page(esign_client, esign_settings, kept):
    token = links.download_token(esign_settings.secret_key, kept, ttl_s=60, now=time.time() - 120)
    resp = esign_client.get(f"/certificates/d/{token}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 410 and resp.mimetype == "text/html"
    assert "下载链接已过期" in html and "12333" in html and b"%PDF" not in resp.data


def test_a_tampered_or_unknown_link_gets_a_clear_page(esign_client, esign_settings, kept):
    good = links.download_link(esign_settings, kept)
    bad = esign_client.get(good[:-3] + "xyz")
    assert bad.status_code == 404 and "下载链接无效" in bad.get_data(as_text=True)
    unknown = esign_client.get(links.download_link(esign_settings, 987_654_321))  # signed, but nothing kept
    assert unknown.status_code == 404 and "下载链接无效" in unknown.get_data(as_text=True)


def test_a_superseded_document_is_not_served(esign_client, esign_settings, service, sessions, backoffice, accounts):
    employee = next(a for a in accounts if a.key == "transfer").id_number
    with sessions.begin() as db:
        old = service.issue(db, documents.person_proof(backoffice, employee), VERIFY_URL)
        old_id = stored.keep(db, old)
        assert service.revoke(db, old.code)  # the agency corrected it
    resp = esign_client.get(links.download_link(esign_settings, old_id))
    assert resp.status_code == 410 and "已被更正" in resp.get_data(as_text=True)


def test_link_downloads_are_rate_limited(esign_client, esign_settings):
    token = links.download_token(esign_settings.secret_key, 1, ttl_s=60)
    codes = [esign_client.get(f"/certificates/d/{token}x").status_code for _ in range(11)]
    assert codes[:10] == [404] * 10 and codes[10] == 429
