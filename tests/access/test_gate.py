"""The one gate (DESIGN "Use cases and the Actor"): every route declares its need, sessions serve only the channel
they were made on, and a level-1 web session is stepped up before rights, progress and certificates."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from gateway.access.needs import Audience, need_of
from gateway.catalog import load_catalog
from gateway.channel_policy import POLICIES, Operation
from tests.conftest import login

#: Routes Flask adds itself.
FLASK_OWN = {"static"}


def test_every_route_of_every_channel_and_the_api_declares_its_operation_and_level(app):
    undeclared, bad = [], []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in FLASK_OWN:
            continue
        need = need_of(app.view_functions[rule.endpoint])
        if need is None:
            undeclared.append(f"{rule.rule} ({rule.endpoint})")
            continue
        if not isinstance(need.operation, Operation) or not isinstance(need.audience, Audience):
            bad.append(rule.rule)
        if need.audience is Audience.PERSON and not (need.level >= 1 or need.item or need.item_arg):
            bad.append(rule.rule)
        if need.item:
            load_catalog().get(need.item)  # a declared item exists in the catalog
    assert not undeclared, "routes without a declared need: " + ", ".join(undeclared)
    assert not bad
    # the channels and the API are all covered: pages of each, and the JSON API
    prefixes = {r.rule.split("/")[1] for r in app.url_map.iter_rules()}
    assert {"kiosk", "hotline", "api", "rights", "progress", "certificates", "unit"} <= prefixes


def test_every_declared_operation_is_offered_by_some_channel(app):
    offered = set().union(*(p.operations for p in POLICIES.values()))
    for rule in app.url_map.iter_rules():
        need = need_of(app.view_functions[rule.endpoint]) if rule.endpoint not in FLASK_OWN else None
        if need is not None:
            assert need.operation in offered, rule.rule


def test_an_undeclared_route_is_refused(app):
    app.add_url_rule("/undeclared-for-test", "undeclared_for_test", lambda: "open")
    resp = app.test_client().get("/undeclared-for-test")
    assert resp.status_code == 403 and "open" not in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "level"),
    [
        ("/rights/", 2),
        ("/rights/contributions", 2),
        ("/progress/KNOWN-OR-NOT", 2),
        ("/certificates/", 2),
        ("/certificates/preview?kind=person_proof", 2),
    ],
)
def test_a_level_1_web_session_is_stepped_up_and_brought_back(client, person, path, level):
    assert login(client, person.id_number).status_code == 302
    resp = client.get(path)
    assert resp.status_code == 302
    target = urlsplit(resp.headers["Location"])
    assert target.path == "/account/step-up"
    query = parse_qs(target.query)
    assert query["level"] == [str(level)] and query["next"] == [path]


def test_the_step_up_lets_the_page_through(client, person):
    login(client, person.id_number)
    with client.session_transaction() as s:  # as if the SMS step-up was done (it has its own tests)
        s["auth_level"] = 2
    assert client.get("/rights/").status_code == 200


def _kiosk_session(client, person_id: int, hall: str = "H01") -> None:
    with client.session_transaction() as s:
        s.update(channel="kiosk", person_id=person_id, auth_level=3, auth_methods=["card_pin"], kiosk_hall=hall)


def _person_id(app, id_number: str) -> int:
    from gateway.identity.service import find_person
    from gateway.request_db import get_session

    with app.app_context():
        return find_person(get_session(), app.extensions["shebao_vault"], id_number).id


def test_a_kiosk_session_is_nobody_on_the_web_site_and_the_api(app, client, person):
    _kiosk_session(client, _person_id(app, person.id_number))
    page = client.get("/rights/")
    assert page.status_code == 302 and urlsplit(page.headers["Location"]).path == "/account/login"
    account = client.get("/account/")
    assert account.status_code == 302 and urlsplit(account.headers["Location"]).path == "/account/login"
    api = client.get("/api/v1/certificates")
    assert api.status_code == 401 and api.get_json()["error"]["code"] == "login_required"
    api_kiosk = client.get("/api/v1/certificates", headers={"X-Shebao-Channel": "kiosk"})
    assert api_kiosk.status_code == 401  # the API is reached by the kiosk's bearer token, never its cookie


def test_a_kiosk_session_is_good_only_at_its_own_hall(app, client, person):
    from gateway.appointments.models import Hall
    from gateway.request_db import get_session

    with app.app_context():
        codes = [h.code for h in get_session().query(Hall).order_by(Hall.code).limit(2)]
    _kiosk_session(client, _person_id(app, person.id_number), hall=codes[0])
    assert client.get(f"/kiosk/{codes[0]}/me/").status_code == 200
    elsewhere = client.get(f"/kiosk/{codes[1]}/me/")
    assert elsewhere.status_code == 302 and urlsplit(elsewhere.headers["Location"]).path == f"/kiosk/{codes[1]}/"


def test_a_web_session_is_nobody_at_the_kiosk_and_on_the_console(client, person):
    login(client, person.id_number)
    with client.session_transaction() as s:
        s["auth_level"] = 3
    kiosk = client.get("/kiosk/H01/me/")
    assert kiosk.status_code == 302 and "/me/" not in kiosk.headers["Location"]
    console = client.get("/hotline/")
    assert console.status_code == 302 and urlsplit(console.headers["Location"]).path == "/hotline/login"


def test_the_channel_policy_is_enforced(app, client):
    from gateway.access.needs import gate

    @gate(Operation.HANDLE)
    def staff_work_on_the_web():
        return "done"

    app.add_url_rule("/policy-test", "policy_test", staff_work_on_the_web)
    resp = app.test_client().get("/policy-test")
    assert resp.status_code == 403 and "该渠道不提供此项服务" in resp.get_data(as_text=True)
