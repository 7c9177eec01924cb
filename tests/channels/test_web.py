"""HTTP tests of the web channel: sections, guides, login, rights pages, and bad input."""

from __future__ import annotations

import re
from decimal import Decimal

import sqlalchemy as sa

from gateway.backoffice.models import BoContribution, BoPerson
from tests.conftest import csrf_token, login, step_up


def test_home_links_every_section(client):
    html = client.get("/").get_data(as_text=True)
    for path in (
        "/appointments/",
        "/progress/",
        "/certificates/",
        "/rights/",
        "/services/",
        "/help/",
        "/account/",
    ):
        assert f'href="{path}"' in html


def test_security_headers_and_request_id(client):
    resp = client.get("/", headers={"X-Request-Id": "lb-123"})
    assert resp.headers["X-Request-Id"] == "lb-123"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    # A request id that could inject into logs is replaced by our own.
    assert client.get("/", headers={"X-Request-Id": "bad id;drop"}).headers["X-Request-Id"] != "bad id;drop"


def test_services_list_and_guide(client, app):
    from gateway.catalog import load_catalog

    item = load_catalog().items[0]
    assert item.name in client.get("/services/").get_data(as_text=True)
    guide = client.get(f"/services/{item.id}").get_data(as_text=True)
    assert item.name in guide and "办理材料" in guide
    assert item.code not in guide  # the catalog's code is for systems (issue 15: no raw codes)


def test_unknown_catalog_item_is_a_chinese_404(client):
    resp = client.get("/services/no-such-item")
    assert resp.status_code == 404
    assert "没有找到该服务事项" in resp.get_data(as_text=True)


def test_rights_requires_login_and_comes_back(client, person):
    resp = client.get("/rights/contributions")
    assert resp.status_code == 302 and "/account/login?next=/rights/contributions" in resp.location
    page = client.get(resp.location)
    resp = client.post(
        resp.location,
        data={
            "id_number": person.id_number,
            "password": "Shebao#2026",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert resp.status_code == 302 and resp.location == "/rights/contributions"


def test_login_rejects_malformed_id_with_a_clear_message(client):
    resp = login(client, "110101199003071234")  # wrong check digit
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert "校验位" in html and 'class="error-summary"' in html


def test_wrong_password_and_unknown_person_get_the_same_message(client, person):
    wrong = login(client, person.id_number, "not-the-password").get_data(as_text=True)
    unknown = login(client, "11010519491231002X", "not-the-password").get_data(as_text=True)
    assert "证件号码或密码不正确" in wrong and "证件号码或密码不正确" in unknown


def test_login_without_csrf_token_is_refused(client, person):
    resp = client.post("/account/login", data={"id_number": person.id_number, "password": "Shebao#2026"})
    assert resp.status_code == 400
    assert "页面已过期" in resp.get_data(as_text=True)


def test_contribution_figures_equal_the_back_office(client, person, app):
    assert login(client, person.id_number).status_code == 302
    step_up(client)
    html = client.get("/rights/contributions?page=2").get_data(as_text=True)
    engine = app.extensions["shebao_engine"]
    with engine.connect() as conn:
        pid = conn.scalar(sa.select(BoPerson.id).where(BoPerson.id_number == person.id_number))
        rows = conn.execute(
            sa.select(BoContribution.period, BoContribution.base, BoContribution.person_amount)
            .where(BoContribution.person_id == pid)
            .order_by(BoContribution.period.desc(), BoContribution.scheme)
            .limit(12)
            .offset(12)
        ).all()
    assert len(rows) == 12
    for period, base, person_amount in rows:
        assert f'data-period="{period}"' in html
        assert f"{Decimal(base):.2f}" in html and f"{Decimal(person_amount):.2f}" in html
    assert "第 2 页" in html


def test_contributions_of_one_year(client, person, app):
    # Hundreds of months are paged; people look for a year (issue 15): every row of that year, and only those.
    assert login(client, person.id_number).status_code == 302
    step_up(client)
    engine = app.extensions["shebao_engine"]
    with engine.connect() as conn:
        pid = conn.scalar(sa.select(BoPerson.id).where(BoPerson.id_number == person.id_number))
        periods = conn.scalars(sa.select(BoContribution.period).where(BoContribution.person_id == pid)).all()
    year = max(periods) // 100 - 1
    wanted = sorted(p for p in periods if p // 100 == year)
    page = client.get("/rights/contributions").get_data(as_text=True)
    assert f'<option value="{year}">{year}年</option>' in page and f'<option value="{min(periods) // 100}">' in page
    html = client.get(f"/rights/contributions?year={year}").get_data(as_text=True)
    shown = sorted(int(p) for p in re.findall(r'data-period="(\d+)"', html))
    assert shown == wanted and f"{year}年的缴费记录，共 {len(wanted)} 条" in html
    assert "第 1 页" not in html  # one year is one list
    for bad in ("1900", "20x4", "-2024", "12345"):
        resp = client.get(f"/rights/contributions?year={bad}")
        assert resp.status_code == 400 and "年份应为" in resp.get_data(as_text=True), bad


def test_bad_page_numbers_are_400_with_chinese_message(client, person):
    login(client, person.id_number)
    step_up(client)
    for bad in ("-1", "abc", "0", "1.5"):
        resp = client.get(f"/rights/contributions?page={bad}")
        assert resp.status_code == 400, bad
        assert "页码" in resp.get_data(as_text=True)


def test_page_past_the_end_shows_the_last_page(client, person):
    login(client, person.id_number)
    step_up(client)
    resp = client.get("/rights/contributions?page=9999")
    assert resp.status_code == 200


def test_id_number_is_masked_on_screen(client, person):
    login(client, person.id_number)
    step_up(client)
    html = client.get("/rights/").get_data(as_text=True)
    assert person.id_number not in html
    assert person.id_number[:3] in html and person.id_number[-4:] in html


def test_logout_needs_post_and_clears_the_session(client, person):
    login(client, person.id_number)
    assert client.get("/account/logout").status_code == 405
    page = client.get("/account/").get_data(as_text=True)
    client.post("/account/logout", data={"csrf_token": csrf_token(page)})
    assert client.get("/rights/").status_code == 302


def test_open_redirect_after_login_is_refused(client, person):
    page = client.get("/account/login?next=//evil.example/")
    resp = client.post(
        "/account/login?next=//evil.example/",
        data={
            "id_number": person.id_number,
            "password": "Shebao#2026",
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert resp.location == "/"


def test_elder_mode_toggle(client):
    resp = client.get("/elder?on=1&back=/services/")
    assert resp.location == "/services/"
    assert 'class="elder"' in client.get("/services/").get_data(as_text=True)
    client.get("/elder?on=0&back=https://evil.example/")
    assert 'class="elder"' not in client.get("/").get_data(as_text=True)


def test_login_is_rate_limited(client):
    # Not a demo person: five wrong passwords would lock that account for the tests after this one.
    statuses = [login(client, "11010519491231002X", "wrong").status_code for _ in range(11)]
    assert statuses[-1] == 429
