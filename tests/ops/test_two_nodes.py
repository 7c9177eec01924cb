"""Two gateway nodes behind one proxy, sharing PostgreSQL and Redis (deploy/): whatever node answers, a person's
session, a rate limit, a lockout and a booking are the same; limits count the real client addresses the proxy
passes on, and a forged X-Forwarded-For from a peer that is not the proxy changes nothing.

PostgreSQL + Redis lane only (SHEBAO_TEST_DATABASE_URL and SHEBAO_TEST_REDIS_URL)."""

from __future__ import annotations

import os
import random
import re
from datetime import date, time, timedelta

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway import clock
from gateway.appointments.models import Hall, HallItem, Slot
from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.help.api import SEARCH_LIMIT
from gateway.identity.models import Credential, CredentialKind
from gateway.identity.passwords import hash_password
from gateway.identity.service import MAX_FAILURES, ensure_person
from gateway.security.pii import PiiVault
from gateway.validation import make_id_number
from tests.conftest import TEST_SECRET
from tests.ops.netproxy import HttpBalancer, client_at
from tests.ops.nodes import gateway_node
from tests.support import solve_captcha

pytestmark = pytest.mark.skipif(
    not (os.environ.get("SHEBAO_TEST_DATABASE_URL") and os.environ.get("SHEBAO_TEST_REDIS_URL")),
    reason="the two-node test needs the PostgreSQL + Redis lane",
)

SEARCH = "/api/v1/help/search?q=%E5%85%BB%E8%80%81"  # 养老
PER_MINUTE = int(SEARCH_LIMIT.split()[0])
ITEM = "person-registration"


def _address() -> str:
    """A loopback address of its own for one simulated person (rate-limit keys never collide between runs)."""
    return f"127.{random.randint(1, 250)}.{random.randint(1, 250)}.{random.randint(2, 250)}"


def _weekday_after(start: date) -> date:
    day = start + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
def people(database_url):
    """Two people with passwords and a hall with a slot tomorrow (or the next weekday)."""
    engine = sa.create_engine(database_url)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    tag = os.urandom(3).hex().upper()
    stored = hash_password(DEMO_PASSWORD)
    with sessions.begin() as s:
        hall = Hall(code=f"N{tag}", name="双节点测试大厅", address="-", phone="-", hours="-", map_url="")
        s.add(hall)
        s.flush()
        s.add(HallItem(hall_id=hall.id, item_id=ITEM))
        slot = Slot(hall_id=hall.id, day=_weekday_after(clock.local_now().date()), start=time(9), end=time(9, 30),
                    capacity=5, booked=0)  # fmt: skip
        s.add(slot)
        numbers = []
        for n in range(2):
            id_number = make_id_number("320102", date(1975, 1, 1) + timedelta(days=int(tag, 16) % 7000 + n), 500 + n)
            person = ensure_person(s, PiiVault(TEST_SECRET), id_number, f"双节点{n}")
            s.add(Credential(person_id=person.id, kind=CredentialKind.PASSWORD, identifier=person.id_digest,
                             secret_hash=stored))  # fmt: skip
            numbers.append(id_number)
    yield {"slot": slot.id, "people": numbers}
    engine.dispose()


@pytest.fixture(scope="module")
def cluster(database_url, tmp_path_factory):
    """Two nodes (one shared var/, as a shared volume) behind the balancer, which is the only trusted proxy."""
    tmp_path = tmp_path_factory.mktemp("two-nodes")
    redis_url = os.environ["SHEBAO_TEST_REDIS_URL"]
    shared = {"REDIS_URL": redis_url, "TRUSTED_PROXIES": "127.0.0.1/32"}
    with (
        gateway_node(database_url, TEST_SECRET, tmp_path, tmp_path / "node0.log", **shared) as one,
        gateway_node(database_url, TEST_SECRET, tmp_path, tmp_path / "node1.log", **shared) as two,
        HttpBalancer([one, two]) as proxy,
    ):
        yield {"proxy": proxy.url, "nodes": [one, two]}


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def _login(http: requests.Session, base: str, id_number: str, password: str) -> requests.Response:
    page = http.get(f"{base}/account/login", timeout=60)
    return http.post(
        f"{base}/account/login",
        data={"id_number": id_number, "password": password, "csrf_token": _token(page.text)},
        allow_redirects=False,
        timeout=60,
    )


def test_a_session_made_on_one_node_is_seen_by_the_other(cluster, people):
    http = client_at(_address())
    answer = _login(http, cluster["proxy"], people["people"][0], DEMO_PASSWORD)
    assert answer.status_code == 302
    logged_in_on = answer.headers["X-Upstream"]
    seen = []
    for _ in range(2):  # strictly alternating: one of these two is the other node
        page = http.get(f"{cluster['proxy']}/account/", allow_redirects=False, timeout=60)
        assert page.status_code == 200, page.status_code
        seen.append(page.headers["X-Upstream"])
    assert set(seen) == {"0", "1"} and logged_in_on in seen


def test_a_booking_made_through_one_node_is_seen_by_the_other(cluster, people):
    http = client_at(_address())
    assert _login(http, cluster["proxy"], people["people"][1], DEMO_PASSWORD).status_code == 302
    page = http.get(f"{cluster['proxy']}/appointments/", timeout=60)
    token = _token(page.text) if 'name="csrf_token"' in page.text else None
    made = http.post(f"{cluster['proxy']}/api/v1/appointments", json={"item": ITEM, "slot": people["slot"]},
                     headers={"X-CSRFToken": token or ""}, timeout=60)  # fmt: skip
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    listed_on = set()
    for _ in range(2):
        mine = http.get(f"{cluster['proxy']}/api/v1/appointments", timeout=60)
        assert code in mine.text
        listed_on.add(mine.headers["X-Upstream"])
    assert listed_on == {"0", "1"}
    again = http.post(f"{cluster['proxy']}/api/v1/appointments", json={"item": ITEM, "slot": people["slot"]},
                      headers={"X-CSRFToken": token or ""}, timeout=60)  # fmt: skip
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_booked"
    assert again.headers["X-Upstream"] != made.headers["X-Upstream"]


def _captcha_answer(html: str) -> str:
    """The proof of work the login page asks for after a few wrong passwords (ALTCHA), if it asks for one."""
    return solve_captcha(html) if "<altcha-widget" in html else ""


def test_a_lockout_made_on_both_nodes_holds_on_both(cluster, people):
    """Wrong passwords spread over both nodes add up to one lockout, which either node then enforces. (The
    challenge set after the second wrong password is answered on whichever node the next request reaches.)"""
    http = client_at(_address())
    page = http.get(f"{cluster['proxy']}/account/login", timeout=60).text
    token, answer = _token(page), ""

    def attempt(password: str) -> requests.Response:
        nonlocal answer
        form = {"id_number": people["people"][0], "password": password, "csrf_token": token, "altcha": answer}
        reply = http.post(f"{cluster['proxy']}/account/login", data=form, allow_redirects=False, timeout=60)
        answer = _captcha_answer(reply.text)
        return reply

    wrong = [attempt("not-the-password-1") for _ in range(MAX_FAILURES)]
    assert all(r.status_code == 400 and "完成人机验证后再登录" not in _errors(r.text) for r in wrong), [
        _errors(r.text) for r in wrong
    ]
    assert {r.headers["X-Upstream"] for r in wrong} == {"0", "1"}
    locked = [attempt(DEMO_PASSWORD) for _ in range(2)]
    assert {r.headers["X-Upstream"] for r in locked} == {"0", "1"}
    for reply in locked:
        assert reply.status_code == 400 and "临时锁定" in reply.text, _errors(reply.text)


def _errors(html: str) -> str:
    """The form's error messages, for a readable failure."""
    return " | ".join(re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', html))


def test_a_rate_limit_is_shared_and_counts_the_real_client(cluster):
    proxy = cluster["proxy"]
    first, second = client_at(_address()), client_at(_address())
    spent = [first.get(proxy + SEARCH, timeout=30) for _ in range(PER_MINUTE)]
    assert [r.status_code for r in spent] == [200] * PER_MINUTE
    assert {r.headers["X-Upstream"] for r in spent} == {"0", "1"}  # both nodes counted into one limit
    refused = [first.get(proxy + SEARCH, timeout=30) for _ in range(2)]
    assert [r.status_code for r in refused] == [429, 429]
    assert {r.headers["X-Upstream"] for r in refused} == {"0", "1"}
    # Another person behind the same proxy has a limit of their own…
    assert second.get(proxy + SEARCH, timeout=30).status_code == 200
    # …and the spent one cannot pick a fresh limit by writing X-Forwarded-For: the proxy replaces it.
    forged = first.get(proxy + SEARCH, headers={"X-Forwarded-For": _address()}, timeout=30)
    assert forged.status_code == 429


def test_a_forged_header_from_a_peer_that_is_not_the_proxy_is_ignored(cluster):
    """Straight to a node from an address that is not the proxy: its X-Forwarded-For counts for nothing."""
    node = cluster["nodes"][0]
    direct = client_at(_address())
    codes = [
        direct.get(node + SEARCH, headers={"X-Forwarded-For": _address()}, timeout=30).status_code
        for _ in range(PER_MINUTE + 1)
    ]
    assert codes[:PER_MINUTE] == [200] * PER_MINUTE and codes[-1] == 429
