"""Rotating SHEBAO_SECRET_KEY for every value keyed by it (issue 19), beyond sessions and PII
(tests/gateway/test_secret_rotation.py): access tokens, SMS code hashes, CAPTCHA challenges, signed references,
certificate download links and anti-forgery code hashes, CSRF tokens and keyed look-up hashes. For each kind: a
value made under the old secret still works once the new secret is current with the old one as a fallback, and
stops working once the fallback is removed; new values are made under the new secret (ASVS 5.0 V11.2)."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import date, timedelta

import altcha
import pytest
import sqlalchemy as sa
from altcha import v2
from sqlalchemy.orm import sessionmaker

from gateway import clock, create_app
from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.security import keyring
from gateway.security.pii import PiiVault
from tests.conftest import TEST_SECRET, csrf_token

OLD = "rotation-old-secret-0123456789abcdefghijklmn"
NEW = "rotation-new-secret-9876543210zyxwvutsrqponm"


@pytest.fixture
def rotation():
    """``rotate()`` makes NEW current with OLD as its fallback; ``finish()`` drops the fallback."""

    class Rotation:
        @staticmethod
        def rotate() -> None:
            keyring.register(NEW, (OLD,))

        @staticmethod
        def finish() -> None:
            keyring.register(NEW, ())

    yield Rotation
    keyring.register(NEW, ())
    keyring.register(OLD, ())


def test_access_tokens(rotation):
    from gateway.identity.service import IdentityError
    from gateway.identity.tokens import _access_token, read_access_token

    token = _access_token(OLD, 7, 2, "miniprogram", clock.now())
    rotation.rotate()
    assert read_access_token(NEW, token).person_id == 7
    fresh = _access_token(NEW, 7, 2, "miniprogram", clock.now())
    with pytest.raises(IdentityError):
        read_access_token(OLD, fresh)  # new tokens are made under the new secret only
    rotation.finish()
    with pytest.raises(IdentityError):
        read_access_token(NEW, token)


def test_sms_codes(rotation, app):
    from gateway.identity.models import SmsPurpose
    from gateway.identity.sms_codes import issue_code, verify_code

    sessions = app.extensions["shebao_sessionmaker"]
    phone = "139" + f"{int.from_bytes(os.urandom(3)):08d}"[-8:]
    with sessions.begin() as s:
        code = issue_code(s, OLD, phone, SmsPurpose.LOGIN)
    rotation.rotate()
    with sessions.begin() as s:
        assert verify_code(s, NEW, phone, SmsPurpose.LOGIN, code)
    with sessions.begin() as s:
        other = issue_code(s, OLD, phone, SmsPurpose.LOGIN)
    rotation.finish()
    with sessions.begin() as s:
        assert not verify_code(s, NEW, phone, SmsPurpose.LOGIN, other)


def _solved(secret: str) -> str:
    from gateway.identity.captcha import new_challenge

    challenge = v2.Challenge.from_dict(json.loads(new_challenge(secret)))
    return v2.Payload(challenge=challenge, solution=altcha.solve_challenge(challenge)).to_base64()


def test_captcha_challenges(rotation, app):
    from gateway.identity import captcha

    sessions = app.extensions["shebao_sessionmaker"]
    before, after = _solved(OLD), _solved(OLD)
    rotation.rotate()
    with sessions.begin() as s:
        assert captcha.verify(s, NEW, before)
    rotation.finish()
    with sessions.begin() as s:
        assert not captcha.verify(s, NEW, after)


def test_signed_console_references(rotation):
    from gateway.security.refs import References

    token = References(OLD, "hotline-people-account", 600).make(person=5)
    rotation.rotate()
    assert References(NEW, "hotline-people-account", 600).read(token) == {"person": 5}
    fresh = References(NEW, "hotline-people-account", 600).make(person=5)
    assert References(OLD, "hotline-people-account", 600).read(fresh) is None  # signed with the new secret
    rotation.finish()
    assert References(NEW, "hotline-people-account", 600).read(token) is None


def test_certificate_download_links(rotation):
    from esign import links

    token = links.download_token(OLD, 42, ttl_s=600)
    rotation.rotate()
    assert links.read_token(NEW, token) == 42
    rotation.finish()
    with pytest.raises(links.LinkError):
        links.read_token(NEW, token)


def test_certificate_anti_forgery_codes_and_holders(settings, app):
    from esign import codes
    from esign.models import CodeStatus, DocumentKind, IssuedDocument
    from esign.service import CertificateService, EsignConfig, Outcome

    def service(secret: str, *fallbacks: str) -> CertificateService:
        s = dataclasses.replace(settings, secret_key=secret, secret_key_fallbacks=fallbacks)
        return CertificateService(EsignConfig.from_settings(s))

    kind = next(iter(DocumentKind))
    code = codes.new_code(kind)
    holder = f"holder-{os.urandom(4).hex()}"
    old = service(OLD)
    sessions = app.extensions["shebao_sessionmaker"]
    with sessions.begin() as s:
        s.add(IssuedDocument(
            code_hash=old.code_hashes(code)[0], kind=kind, fingerprint="0" * 64, holder_masked="测**",
            holder_digest=old.holder_digest(holder), issuer="测试", issued_on=clock.today(),
            expires_on=clock.today() + timedelta(days=30), status=CodeStatus.VALID, seal_serial="1",
        ))  # fmt: skip
    with sessions() as s:
        assert service(NEW, OLD).lookup(s, code).outcome is Outcome.GENUINE
        assert len(service(NEW, OLD).issued_to(s, holder, (kind,))) == 1
        assert service(NEW).lookup(s, code).outcome is Outcome.NOT_FOUND
        assert service(NEW).issued_to(s, holder, (kind,)) == []


def test_csrf_tokens(settings, person):
    """A form shown before the rotation is still accepted after it (the old secret signed its token). The apps
    here hash ID numbers under other secrets than the test database's, so the sign-in itself is refused as a
    wrong password — which is only said once the form's CSRF token has verified."""
    under_old = create_app(dataclasses.replace(settings, secret_key=OLD))
    client = under_old.test_client()
    token = csrf_token(client.get("/account/login").get_data(as_text=True))
    cookie = client.get_cookie("shebao_session").value
    form = {"id_number": person.id_number, "password": DEMO_PASSWORD, "csrf_token": token}
    form_read = "证件号码或密码不正确"

    def post_with(secret: str, *fallbacks: str) -> str:
        app = create_app(dataclasses.replace(settings, secret_key=secret, secret_key_fallbacks=fallbacks))
        other = app.test_client()
        other.set_cookie("shebao_session", cookie)
        return other.post("/account/login", data=form).get_data(as_text=True)

    try:
        assert form_read in post_with(NEW, OLD)  # the token made under the old secret verified
        assert form_read not in post_with(NEW)  # refused before the form is read
    finally:
        keyring.register(TEST_SECRET, ())


def test_keyed_lookups_and_pii_rekey(tmp_path):
    """Hashed look-ups (a person's ID number, an identity document) are searched under the old secret too until
    ``pii rekey`` re-derives them under the new one; last known answers (whose question is not stored) go."""
    from gateway.backoffice import last_known
    from gateway.identity.documents import Document, find_person_by_document, link_document
    from gateway.identity.service import ensure_person, find_person
    from gateway.migrate import upgrade
    from gateway.pii_columns import rekey
    from gateway.validation import DocumentType, make_id_number

    url = f"sqlite:///{tmp_path / 'lookups.db'}"
    upgrade(url)
    engine = sa.create_engine(url)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    old, rotating, new = PiiVault(OLD), PiiVault(NEW, (OLD,)), PiiVault(NEW)
    id_number = make_id_number("610302", date(1977, 3, 4), 555)
    passport = Document(DocumentType.PASSPORT, "GBR:E12345678")
    with sessions.begin() as s:
        person = ensure_person(s, old, id_number, "查找测试")
        link_document(s, old, person, passport)
        last_known.store(s, old, "account", {"id_number": id_number}, {"balance": 1}, clock.now())
    with sessions() as s:
        assert find_person(s, rotating, id_number) is not None
        assert find_person_by_document(s, rotating, passport) is not None
        assert last_known.load(s, rotating, "account", {"id_number": id_number}) is not None
        assert find_person(s, new, id_number) is None and find_person_by_document(s, new, passport) is None
    with sessions.begin() as s:
        counts = rekey(s, rotating)
    assert counts["person.id_digest"] == 1 and counts["person_document.doc_digest"] == 1
    assert counts["bo_last_known (dropped)"] == 1
    with sessions() as s:
        assert find_person(s, new, id_number) is not None  # the old secret is no longer needed
        assert find_person_by_document(s, new, passport) is not None
    engine.dispose()
