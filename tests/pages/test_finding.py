"""Finding things on the web (issue 15), over HTTP: the search on every page, the catalog by life events with
employer items kept to the unit area, the home page's real links, the grouped booking step, and 长辈版's home."""

from __future__ import annotations

import re

import pytest

from gateway.catalog import load_catalog
from gateway.catalog.life_events import is_unit_only, load_life_events
from tests.conftest import login

UNIT_NAMES = [i.name for i in load_catalog() if is_unit_only(i)]


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


@pytest.mark.parametrize("path", ["/", "/services/", "/help/", "/appointments/", "/info/", "/account/login"])
def test_every_page_has_the_site_search_in_its_header(client, path):
    html = client.get(path).get_data(as_text=True)
    header = html[html.index("<header") : html.index("</header>")]
    assert 'action="/services/"' in header and 'name="q"' in header and ">查找</button>" in header
    assert '<details class="site-menu"' in header and "<summary" in header  # the menu opens without JS


def test_citizen_lists_hold_no_employer_item(client, person):
    login(client, person.id_number)
    for path in ("/", "/services/", "/appointments/", "/services/?q=单位", "/services/?q=登记"):
        html = client.get(path).get_data(as_text=True)
        shown = [name for name in UNIT_NAMES if name in html]
        assert not shown, f"{path}: {shown}"


def test_employer_items_are_in_the_unit_area(client):
    html = client.get("/unit/services").get_data(as_text=True)
    assert all(name in html for name in UNIT_NAMES)
    assert "/unit/services" in client.get("/services/").get_data(as_text=True)


def test_the_catalog_is_grouped_by_life_events_and_one_can_be_opened(client):
    html = client.get("/services/").get_data(as_text=True)
    for name in ("就业与失业", "退休与养老金", "生育", "工伤", "换城市工作", "社保卡", "证明打印"):
        assert f"<strong>{name}</strong>" in html
    assert '<details class="event" id="event-retirement" data-filter-group>' in html
    opened = client.get("/services/?event=retirement").get_data(as_text=True)
    assert '<details class="event" id="event-retirement" data-filter-group open>' in opened


def test_searching_finds_the_answer_and_the_pension_application(client):
    html = client.get("/services/?q=退休").get_data(as_text=True)
    assert "最佳解答" in html
    found = html[html.index('id="found-items"') :]
    # The pension claim is found, with its guide and its application one tap away.
    assert 'href="/services/retirement-pension-claim"' in found
    assert 'href="/services/retirement-pension-claim/apply"' in found
    assert "退休与养老金" in html
    assert 'value="退休"' in html  # the box keeps what was searched


def test_a_colloquial_word_finds_the_item(client):
    html = client.get("/services/?q=生孩子").get_data(as_text=True)
    assert "生育津贴申领" in html[html.index('id="found-items"') :]


@pytest.mark.parametrize(("q", "message"), [("", "请输入要查询的问题"), ("长" * 51, "不能超过50个字")])
def test_a_bad_search_is_a_400_with_a_chinese_message(client, q, message):
    resp = client.get("/services/", query_string={"q": q})
    assert resp.status_code == 400
    assert message in resp.get_data(as_text=True)


def test_home_has_top_tasks_life_events_and_section_items_as_links(client):
    html = client.get("/").get_data(as_text=True)
    tasks = html[html.index('id="top-tasks"') : html.index("</ul>", html.index('id="top-tasks"'))]
    assert {"/appointments/", "/certificates/", "/rights/contributions", "/progress/"} <= set(_links(tasks))
    assert "/services/?event=retirement#event-retirement" in html
    assert "/services/?q=%E9%80%80%E4%BC%91" in html  # 大家在找: 退休
    # Every line under a section card is a link now.
    cards = html[html.index('class="section-cards"') : html.index('class="unit-way"')]
    lines = re.findall(r'<ul class="plain card-links">(.*?)</ul>', cards, re.S)
    entries = [e.strip() for block in lines for e in re.findall(r"<li>(.*?)</li>", block, re.S)]
    assert len(lines) == 5 and len(entries) >= 10
    assert all(e.startswith('<a href="/') for e in entries), entries


def test_booking_step_1_is_grouped_by_life_event_with_each_item_once(client, person):
    login(client, person.id_number)
    html = client.get("/appointments/").get_data(as_text=True)
    block = html[html.index('id="bookable-items"') :]
    names = re.findall(r'<a href="/appointments/book\?item=[^"]+">([^<]+)</a>', block)
    assert names and len(names) == len(set(names))
    assert re.search(r"<h3 id=\"group-[a-z-]+\">就业与失业</h3>", block)
    assert 'id="item-filter"' in html and "js/item-filter.js" in html


def test_booking_step_2_shows_the_days_then_one_days_times(client, person):
    login(client, person.id_number)
    html = client.get("/appointments/book?item=person-registration").get_data(as_text=True)
    days = re.findall(r'href="(/appointments/book\?[^"]*day=(\d{4}-\d{2}-\d{2})[^"]*)"', html)
    assert len(days) >= 3
    chosen = re.search(r'day=(\d{4}-\d{2}-\d{2})[^"]*" aria-current="date"', html).group(1)
    first_slots = set(re.findall(r'name="slot" id="slot-(\d+)"', html))
    assert 0 < len(first_slots) <= 20  # one day's times, not the week's
    other = next(d for _, d in days if d != chosen)
    again = client.get(f"/appointments/book?item=person-registration&day={other}").get_data(as_text=True)
    assert re.search(rf'day={other}[^"]*" aria-current="date"', again)
    assert not first_slots & set(re.findall(r'name="slot" id="slot-(\d+)"', again))
    assert 'class="action-bar"' in html and ">下一步</button>" in html
    # A day that is not in the week falls back to the first day with places, never an error.
    assert client.get("/appointments/book?item=person-registration&day=1999-01-01").status_code == 200


def test_elder_home_is_the_simpler_site(client):
    client.get("/elder?on=1&back=/")
    html = client.get("/").get_data(as_text=True)
    tasks = html[html.index('id="elder-tasks"') : html.index("</ul>", html.index('id="elder-tasks"'))]
    for label in ("养老金到账", "资格认证", "参保证明", "预约办理", "找人帮忙", "拨打12333"):
        assert label in tasks
    assert 'href="tel:12333"' in tasks
    assert 'id="standard-site"' in html and "/elder?on=0" in html  # one tap back, in the header
    assert 'id="read-aloud"' in html and "js/read-aloud.js" in html and "css/elder.css" in html
    # The standard site has none of it.
    client.get("/elder?on=0&back=/")
    standard = client.get("/").get_data(as_text=True)
    assert 'id="elder-tasks"' not in standard and "read-aloud" not in standard


def test_elder_certificates_page_offers_one_thing_first(client, person):
    """长辈版 参保证明: one big button to the 个人参保证明 (no choice of kinds and periods on the first screen); the
    other documents and the list of issued ones one tap away; the standard site keeps its choices."""
    from tests.conftest import step_up

    login(client, person.id_number)
    step_up(client)
    standard = client.get("/certificates/").get_data(as_text=True)
    assert 'name="kind"' in standard and 'id="elder-proof"' not in standard
    client.get("/elder?on=1&back=/")
    html = client.get("/certificates/").get_data(as_text=True)
    main = html[html.index("<main") :]
    assert 'id="elder-proof" href="/certificates/preview?kind=person_proof"' in main
    assert 'name="kind"' not in main and "<form" not in main  # one action, nothing to choose
    assert 'href="/certificates/?all=1"' in main
    assert 'name="kind"' in client.get("/certificates/?all=1").get_data(as_text=True)
    client.get("/elder?on=0&back=/")


def test_elder_pension_page_answers_first(client, accounts):
    """长辈版 养老金到账: the latest payment in words and big type first, the whole table one tap away."""
    from tests.conftest import step_up

    retiree = next(a for a in accounts if a.key == "retiree")
    login(client, retiree.id_number)
    step_up(client)
    table = client.get("/rights/benefits").get_data(as_text=True)
    first = re.search(
        r'<td data-label="所属月份">(\d{4})年(\d{2})月</td>.*?<td class="num"[^>]*>([\d.]+)</td>', table, re.S
    )
    assert first, "the retiree has payments"
    client.get("/elder?on=1&back=/")
    html = client.get("/rights/benefits").get_data(as_text=True)
    latest = html[html.index('id="elder-latest"') :]
    year, month, amount = first.groups()
    assert f"{year}年{int(month)}月的" in latest and f"{amount} 元" in latest
    assert "<table" not in html[html.index("<main") :] and 'href="/rights/benefits?all=1"' in html
    assert "<table" in client.get("/rights/benefits?all=1").get_data(as_text=True)
    client.get("/elder?on=0&back=/")


def test_elder_booking_offers_the_few_common_visits_first(client, person):
    """长辈版 预约办理: only the retirement and card items, as big buttons, each going straight to the days; every
    other item one tap away on the standard list."""
    login(client, person.id_number)
    standard = client.get("/appointments/").get_data(as_text=True)
    every = set(re.findall(r'href="/appointments/book\?item=([a-z0-9-]+)"', standard))
    client.get("/elder?on=1&back=/")
    html = client.get("/appointments/").get_data(as_text=True)
    offered = re.findall(r'href="/appointments/book\?item=([a-z0-9-]+)"', html)
    assert offered and set(offered) < every and len(offered) <= 8, offered
    assert 'id="item-filter"' not in html and 'href="/appointments/?all=1"' in html
    events = {e.id: {i.id for i in e.items} for e in load_life_events()}
    assert set(offered) <= events["retirement"] | events["card"]
    assert (
        set(
            re.findall(
                r'href="/appointments/book\?item=([a-z0-9-]+)"',
                client.get("/appointments/?all=1").get_data(as_text=True),
            )
        )
        == every
    )
    client.get("/elder?on=0&back=/")


def test_elder_help_page_has_one_action(client, person):
    """长辈版 找人帮忙: who helps now and one big button; the grant form and revoking one tap away."""
    login(client, person.id_number)
    client.get("/elder?on=1&back=/")
    html = client.get("/account/proxies/").get_data(as_text=True)
    main = html[html.index("<main") :]
    assert 'id="elder-grant" href="/account/proxies/?all=1#add"' in main and 'id="granted-list"' in main
    assert "<form" not in main and 'name="proxy_name"' not in main
    assert 'name="proxy_name"' in client.get("/account/proxies/?all=1").get_data(as_text=True)
    client.get("/elder?on=0&back=/")


def test_a_unit_clerks_search_shows_employer_items_apart(app):
    from gateway.consult.find import find
    from tests.conftest import committing

    with committing(app) as session:
        citizen = find(session, "单位增员")
        clerk = find(session, "单位增员", for_unit=True)
    assert not any(is_unit_only(i) for i in citizen.items) and citizen.unit_items == ()
    assert "职工参保登记（单位增员）" in [i.name for i in clerk.unit_items]
    assert not any(is_unit_only(i) for i in clerk.items)


def test_the_api_finds_what_the_page_finds_and_is_cached_like_other_public_reads(client, app):
    """``GET /api/v1/help/find`` answers the header's search for the other channels: the same items, in the same
    order, as ``/services/?q=`` lists, revalidated by ETag; a bad question is the API's 400 in Chinese."""
    resp = client.get("/api/v1/help/find", query_string={"q": "退休"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    ids = [i["id"] for i in body["items"]]
    assert ids[0] == "retirement-pension-claim" and body["status"] in ("answered", "not_sure")
    html = client.get("/services/?q=退休").get_data(as_text=True)
    listed = html[html.index('id="found-items"') :].split("</ul>")[0]
    on_page = list(dict.fromkeys(re.findall(r'<a href="/services/([a-z0-9-]+)">', listed)))
    assert ids == on_page
    assert {"id": "retirement", "name": "退休与养老金"}.items() <= body["events"][0].items()
    assert "retirement-pension-claim" in body["events"][0]["items"] and body["unit_items"] == []
    catalog = load_catalog()
    assert not any(is_unit_only(catalog.get(i)) for i in ids)  # employer items stay in the unit area
    assert resp.headers["Cache-Control"] == "public, no-cache" and resp.headers.get("ETag")
    again = client.get("/api/v1/help/find", query_string={"q": "退休"}, headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    for q, message in (("", "请输入要查询的问题"), ("长" * 51, "不能超过50个字")):
        bad = client.get("/api/v1/help/find", query_string={"q": q})
        assert bad.status_code == 400 and message in bad.get_json()["error"]["message"], q
    assert client.get("/api/v1/help/find").status_code == 400


def test_the_find_api_is_documented(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/help/find"]["get"]
    assert operation["operationId"] == "findServices" and operation["security"] == [] and operation["tags"]
    answer = operation["responses"]["200"]
    assert answer["content"]["application/json"]["example"]["items"][0]["id"] == "retirement-pension-claim"
    assert {"ETag", "Cache-Control"} <= set(answer["headers"]) and "304" in operation["responses"]
