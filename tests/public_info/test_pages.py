"""The public section /info/ over HTTP: the Regulation, policies, halls and the 好差评 figures (LD/T 01 5.6, 7)."""

from __future__ import annotations

import re
from datetime import date, datetime

from tests.public_info.conftest import promised_item, seed_application


def test_the_public_section_links_every_page_of_it(client):
    html = client.get("/info/").get_data(as_text=True)
    for path in ("/info/regulation", "/info/policies", "/info/halls", "/info/evaluation", "/verify/"):
        assert f'href="{path}"' in html


def test_the_home_page_navigation_reaches_the_public_section(client):
    assert 'href="/info/"' in client.get("/").get_data(as_text=True)


def test_the_regulation_page_has_an_anchor_per_article(client):
    html = client.get("/info/regulation").get_data(as_text=True)
    assert re.findall(r'id="art-(\d+)"', html) == [str(n) for n in range(1, 64)]


def test_a_guide_links_the_articles_it_cites(client):
    html = client.get("/services/pension-transfer-out").get_data(as_text=True)
    assert 'href="/info/regulation#art-' in html


def test_the_halls_page_shows_every_hall_with_phone_and_map(client):
    html = client.get("/info/halls").get_data(as_text=True)
    for code in ("H01", "H02", "H03"):
        assert f'id="hall-{code}"' in html
    assert "0917-3212333" in html and "uri.amap.com" in html


def test_a_bad_month_is_refused_with_the_error_summarised(client):
    resp = client.get("/info/evaluation?month=2026-13")
    assert resp.status_code == 400
    assert 'class="error-summary"' in resp.get_data(as_text=True)


def test_timeliness_on_the_page_is_computed_from_the_applications(client, db, logged_in):
    # March 2025: no other test writes there. Three decided on or before their due date, one after it (LD/T 01 7).
    due = date(2025, 3, 20)
    for day in (10, 19, 20, 21):
        seed_application(db, logged_in, submitted=datetime(2025, 3, 3, 9), decided=datetime(2025, 3, day, 16), due=due)
    seed_application(db, logged_in, submitted=datetime(2025, 3, 5, 9), decided=None, due=due)  # not decided yet
    html = client.get("/info/evaluation?month=2025-03").get_data(as_text=True)
    total = re.search(r'id="total-timeliness">([^<]*)<', html).group(1)
    assert total.startswith("75.0%")
    assert "办结 4 件" in total and "时限内 3 件" in total


def test_the_median_time_to_submit_is_computed_from_the_applications(client, db, logged_in):
    for minutes in (5, 9, 30):
        seed_application(
            db, logged_in, submitted=datetime(2025, 4, 2, 9), decided=None, due=date(2025, 4, 30), minutes=minutes
        )
    html = client.get("/info/evaluation?month=2025-04").get_data(as_text=True)
    assert re.search(r'id="total-submitted">3 件<', html)
    assert re.search(r'id="total-minutes">9.0 分钟<', html)


def _cell(html: str, table: str, key: str, cls: str) -> str:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    row = body.split(f'data-key="{key}"', 1)[1].split("</tr>", 1)[0]
    return re.search(rf'class="num {cls}">([^<]*)<', row).group(1)


def test_the_ease_figures_per_item_and_channel_are_computed_from_the_applications(client, db, logged_in):
    # February 2025: no other test writes there. LD/T 01 7 (ease): median minutes and steps from start to submission.
    item = promised_item()
    seeded = [(5, 3, "web"), (9, 4, "web"), (30, 7, "miniprogram"), (40, None, "miniprogram")]
    for minutes, steps, channel in seeded:
        seed_application(
            db,
            logged_in,
            submitted=datetime(2025, 2, 10, 9),
            decided=None,
            due=date(2025, 3, 10),
            item=item,
            channel=channel,
            minutes=minutes,
            steps=steps,
        )
    html = client.get("/info/evaluation?month=2025-02").get_data(as_text=True)
    # Minutes over all four (5, 9, 30, 40); steps over the three that were counted (3, 4, 7).
    assert re.search(r'id="total-minutes">19.5 分钟<', html) and re.search(r'id="total-steps">4 步<', html)
    assert _cell(html, "by-item", item.id, "minutes") == "19.5 分钟"
    assert _cell(html, "by-item", item.id, "steps") == "4 步"
    assert _cell(html, "by-channel", "web", "minutes") == "7.0 分钟"
    assert _cell(html, "by-channel", "web", "steps") == "3.5 步"
    assert _cell(html, "by-channel", "miniprogram", "steps") == "7 步"
    api = client.get("/api/v1/info/evaluation?month=2025-02").get_json()
    assert (api["total"]["median_minutes"], api["total"]["median_steps"]) == (19.5, 4)
