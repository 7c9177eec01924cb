"""Unit pages over HTTP: certificate login through the real form, the unit's rights queries, clerks and grants."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from gateway.clock import local_now
from gateway.request_db import get_session
from gateway.units.certificates import USER_MESSAGE
from gateway.units.demo_ca import DemoPki
from gateway.units.models import UnitClerk, UnitEvent, UnitEventKind
from tests.conftest import csrf_token, login
from tests.identity.conftest import last_code
from tests.units.conftest import DEMO_CODE, nonce_of
from tests.units.pki import der_b64, sign

LOGIN = "/account/login/certificate"


def demo_key(pki: DemoPki, slot: str):
    cert_file, key_file = pki.slot(slot)
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    return cert, serialization.load_pem_private_key(key_file.read_bytes(), password=None)


def answer(client, pki: DemoPki, slot: str = "valid", nonce_override: str | None = None) -> dict:
    """Fetch the login page and build what its script would post after the USB key signed the nonce."""
    html = client.get(LOGIN).get_data(as_text=True)
    cert, key = demo_key(pki, slot)
    nonce = nonce_override or nonce_of(html)
    return {"csrf_token": csrf_token(html), "certificate": der_b64(cert), "signature": sign(key, nonce.encode())}


def cert_login(client, pki: DemoPki, slot: str = "valid"):
    return client.post(LOGIN, data=answer(client, pki, slot))


def last_events(app, kind: UnitEventKind, n: int = 1) -> list[UnitEvent]:
    with app.app_context():
        rows = get_session().scalars(select(UnitEvent).where(UnitEvent.kind == kind).order_by(UnitEvent.id.desc()))
        return list(rows)[:n]


def test_the_login_page_explains_the_middleware_and_allows_only_its_origin(client, sandbox_url):
    page = client.get(LOGIN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<noscript>" in html and "数字证书助手" in html
    assert f'data-ukey-url="{sandbox_url}/ukey"' in html
    csp = page.headers["Content-Security-Policy"]
    assert f"connect-src 'self' {sandbox_url}" in csp and "form-action 'self'" in csp


def test_the_password_login_page_links_to_the_certificate_login(client):
    assert LOGIN in client.get("/account/login").get_data(as_text=True)


def test_certificate_login_opens_the_unit_home(app, client, demo_pki):
    data = answer(client, demo_pki)
    cookie_before = client.get_cookie("shebao_session").value
    resp = client.post(LOGIN, data=data)
    assert resp.status_code == 302 and resp.location == "/unit/"
    assert client.get_cookie("shebao_session").value != cookie_before  # a new session id: no fixation
    home = client.get("/unit/").get_data(as_text=True)
    assert "示例市秦川信息科技有限公司" in home and DEMO_CODE in home
    assert "孙立新" not in home and "孙**" in home  # the legal representative is masked
    assert "单位管理员（数字证书）" in home
    event = last_events(app, UnitEventKind.LOGIN)[0]
    assert event.actor.startswith("cert:") and event.unit_id is not None


def test_the_staff_list_is_masked_and_paginated(app, client, demo_pki):
    cert_login(client, demo_pki)
    page = client.get("/unit/staff")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    shown = re.findall(r'<td data-label="身份证号码">([^<]*)', html)
    assert len(shown) == 12  # one page
    assert all(re.fullmatch(r"\d{3}\*{11}[\dX]{4}", number) for number in shown)
    assert not re.search(r"\d{17}[\dX]", html)  # no whole ID number anywhere on the page
    assert "第 1 页，共 " in html and 'rel="next"' in html
    # The demo employee works here: somewhere in the list, masked.
    pages = int(re.search(r"共 (\d+) 页", html).group(1))
    everything = "".join(client.get(f"/unit/staff?page={n}").get_data(as_text=True) for n in range(1, pages + 1))
    assert "610***********0210" in everything and "李**" in everything and "610302198805120210" not in everything
    assert client.get("/unit/staff?page=abc").status_code == 400  # a Chinese 400, never a 500
    assert last_events(app, UnitEventKind.QUERY)[0].detail.startswith("参保职工名册")


def test_the_contributions_summary(client, demo_pki):
    cert_login(client, demo_pki)
    html = client.get("/unit/contributions").get_data(as_text=True)
    assert 'id="unit-contributions"' in html and "缴费人数" in html
    assert html.count("data-period=") == 12


@pytest.mark.parametrize(("slot", "reason"), [("expired", "expired"), ("revoked", "revoked")])
def test_an_expired_or_revoked_certificate_is_refused(app, client, demo_pki, slot, reason):
    resp = cert_login(client, demo_pki, slot)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "数字证书登录未成功" in html and 'class="error-summary"' in html
    assert USER_MESSAGE in html and reason not in html  # the same words for every refusal: no hints
    assert client.get("/unit/").status_code == 302  # no session
    refusal = last_events(app, UnitEventKind.LOGIN_REFUSED)[0]
    assert refusal.reason == reason and refusal.detail  # precise, for the audit trail
    if refusal.unit_id is not None:  # the unit has an account already: the attempt shows in its trail
        assert refusal.actor == f"cert:{demo_key(demo_pki, slot)[0].serial_number:x}"


def test_a_replayed_answer_is_refused(app, client, demo_pki):
    data = answer(client, demo_pki)
    assert client.post(LOGIN, data=data).status_code == 302
    client.post("/unit/logout", data={"csrf_token": data["csrf_token"]})
    logins = len(last_events(app, UnitEventKind.LOGIN, 1000))
    # The same signed answer again, on a fresh page: it signs a nonce that was used up, not the page's new one.
    again = client.post(LOGIN, data={**data, "csrf_token": csrf_token(client.get(LOGIN).get_data(as_text=True))})
    assert again.status_code == 400 and "数字证书登录未成功" in again.get_data(as_text=True)
    assert last_events(app, UnitEventKind.LOGIN_REFUSED)[0].reason == "bad_signature"
    # And posted where no page was fetched first there is no nonce at all.
    assert client.post(LOGIN, data=data).status_code == 400
    assert len(last_events(app, UnitEventKind.LOGIN, 1000)) == logins


def test_a_signature_over_another_nonce_is_refused(app, client, demo_pki):
    resp = client.post(LOGIN, data=answer(client, demo_pki, nonce_override="a-nonce-the-gateway-never-issued"))
    assert resp.status_code == 400
    assert last_events(app, UnitEventKind.LOGIN_REFUSED)[0].reason == "bad_signature"


def test_without_csrf_token_nothing_happens(client, demo_pki):
    data = answer(client, demo_pki)
    resp = client.post(LOGIN, data={**data, "csrf_token": "forged"})
    assert resp.status_code == 400 and client.get("/unit/").status_code == 302


def test_unit_pages_send_strangers_to_the_certificate_login(client):
    for path in ("/unit/", "/unit/staff", "/unit/contributions", "/unit/clerks"):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.location == LOGIN


# ---------------------------------------------------------------- clerks


def add_clerk(client, who, grants: list[str], until_days: int = 30):
    page = client.get("/unit/clerks").get_data(as_text=True)
    until = (local_now().date() + timedelta(days=until_days)).isoformat()
    return client.post(
        "/unit/clerks",
        data={
            "csrf_token": csrf_token(page),
            "id_number": who.id_number,
            "name": who.name,
            "grants": grants,
            "valid_until": until,
        },
    )


def step_up(client, who, sms_inbox) -> None:
    """A real level-2 step-up with the code from the SMS sandbox."""
    url = "/account/step-up/sms?level=2&next=/unit/act"
    token = csrf_token(client.get(url).get_data(as_text=True))
    assert client.post(url, data={"resend": "1", "csrf_token": token}).status_code == 200
    done = client.post(url, data={"code": last_code(sms_inbox(who.phone)), "csrf_token": token})
    assert done.status_code == 302


def act_for_unit(client, who, sms_inbox):
    login(client, who.id_number)
    assert client.get("/unit/act").status_code == 302  # level 1 is not enough: stepped up
    step_up(client, who, sms_inbox)
    page = client.get("/unit/act").get_data(as_text=True)
    assert "代办：示例市秦川信息科技有限公司" in page
    clerk_id = page.split('name="clerk_id" value="')[1].split('"')[0]
    return client.post("/unit/act", data={"csrf_token": csrf_token(page), "clerk_id": clerk_id})


def test_a_clerk_sees_only_what_the_grant_allows_and_loses_it_on_revocation(app, demo_pki, member, sms_inbox):
    holder = app.test_client()
    cert_login(holder, demo_pki)
    assert add_clerk(holder, member, ["view_staff"]).status_code == 302
    listing = holder.get("/unit/clerks").get_data(as_text=True)
    assert member.id_number not in listing and "查询参保职工名册" in listing and "新增经办人" in listing

    clerk = app.test_client()
    assert act_for_unit(clerk, member, sms_inbox).location == "/unit/"
    home = clerk.get("/unit/").get_data(as_text=True)
    assert "单位经办人" in home and "参保职工名册" in home
    assert "单位缴费情况" not in home and "经办人管理" not in home and "法定代表人" not in home
    assert clerk.get("/unit/staff").status_code == 200
    denied = clerk.get("/unit/contributions")
    assert denied.status_code == 403 and "没有办理这项业务的授权" in denied.get_data(as_text=True)
    assert clerk.get("/unit/clerks").status_code == 403  # a clerk never manages clerks
    assert last_events(app, UnitEventKind.ACCESS_DENIED)[0].actor.startswith("clerk:")

    # The unit revokes the grant: the clerk's very next request no longer acts for the unit.
    with app.app_context():
        clerk_row = get_session().scalar(
            select(UnitClerk).where(UnitClerk.revoked_at.is_(None)).order_by(UnitClerk.id.desc())
        )
        clerk_id = clerk_row.id
    page = holder.get("/unit/clerks").get_data(as_text=True)
    assert holder.post(f"/unit/clerks/{clerk_id}/revoke", data={"csrf_token": csrf_token(page)}).status_code == 302
    assert clerk.get("/unit/staff").status_code == 302
    kinds = [e.kind for e in last_events(app, UnitEventKind.CLERK_REVOKED)]
    assert kinds == [UnitEventKind.CLERK_REVOKED]
    assert "已撤销" in holder.get("/unit/clerks").get_data(as_text=True)


def test_adding_a_clerk_checks_the_form(client, demo_pki, member):
    cert_login(client, demo_pki)
    page = client.get("/unit/clerks").get_data(as_text=True)
    bad = client.post(
        "/unit/clerks",
        data={"csrf_token": csrf_token(page), "id_number": "123", "name": "", "grants": [], "valid_until": "x"},
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'class="error-summary"' in html
    assert "请输入经办人姓名" in html and "请按“年-月-日”填写日期" in html
    no_grant = add_clerk(client, member, [])
    assert no_grant.status_code == 400 and "请至少选择一项授权业务" in no_grant.get_data(as_text=True)
    too_long = add_clerk(client, member, ["view_staff"], until_days=4 * 365)
    assert too_long.status_code == 400 and "最长 3 年" in too_long.get_data(as_text=True)
    assert add_clerk(client, member, ["view_staff"]).status_code == 302
    twice = add_clerk(client, member, ["view_info"])
    assert twice.status_code == 400 and "已是本单位的经办人" in twice.get_data(as_text=True)


def test_a_person_who_is_no_clerk_has_no_unit_to_act_for(app, member, sms_inbox):
    client = app.test_client()
    login(client, member.id_number)
    step_up(client, member, sms_inbox)
    page = client.get("/unit/act")
    assert "不是任何单位的有效经办人" in page.get_data(as_text=True)
    forged = client.post("/unit/act", data={"csrf_token": csrf_token(page.get_data(as_text=True)), "clerk_id": "1"})
    assert forged.status_code == 400 and client.get("/unit/staff").status_code == 302
