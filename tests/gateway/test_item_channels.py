"""The catalog tells the truth (issue 14; LD/T 01 5.6.1: what a channel publishes is the same source as what it
does). Every item × every channel it claims is walked, and the test fails when the flow is missing:

* web — the page answers for a logged-in person (a unit's pages send a person on to act for a unit first);
* miniprogram — the page is in ``channels/miniprogram/app.json`` and every API operation it calls is in the
  OpenAPI document;
* kiosk, hotline — the screen's endpoint exists.

The claims themselves come from ``gateway/catalog/flows.yaml``; the guides' "办理渠道" and "咨询" lines and
``GET /api/v1/catalog`` are written from the same data.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.api.openapi import openapi_document
from gateway.api.v1 import bp as api_v1
from gateway.applications.service import applicable_items
from gateway.catalog import Audience, Channel, load_catalog
from gateway.catalog.flows import load_flows
from tests.conftest import login, step_up

APP_JSON = Path(__file__).resolve().parents[2] / "channels" / "miniprogram" / "app.json"


def _claims(channel: Channel) -> list[tuple[str, Channel]]:
    return [(item.id, channel) for item in load_catalog() if channel in item.channels]


def _flow(item_id: str, channel: Channel):
    found = [f for f in load_flows().of(channel) if f.item_id == item_id]
    assert found, f"{item_id} claims {channel.value} but no flow carries it"
    return found[0]


def test_every_claim_is_a_flow_and_every_flow_a_claim() -> None:
    catalog = load_catalog()
    flows = load_flows()
    for item in catalog:
        assert set(item.channels) == set(flows.channels_of(item.id)), item.id
    assert {f.item_id for f in flows.flows} <= {item.id for item in catalog}


@pytest.fixture
def web_person(client: FlaskClient, person) -> FlaskClient:
    assert login(client, person.id_number).status_code == 302
    step_up(client, 3)  # the highest level: a flow behind a step-up still has to answer
    return client


@pytest.mark.parametrize(("item_id", "channel"), _claims(Channel.WEB), ids=lambda v: str(v))
def test_web_flow_answers(web_person: FlaskClient, item_id: str, channel: Channel) -> None:
    flow = _flow(item_id, channel)
    answer = web_person.get(flow.page)
    item = load_catalog().get(item_id)
    if Audience.PERSON not in item.audience:
        # A unit's pages: the gate sends a logged-in person on to choose the unit they act for.
        assert answer.status_code == 302 and "/unit/act" in answer.headers["Location"], (item_id, flow.page)
        return
    assert answer.status_code == 200, (item_id, flow.page, answer.status_code)


@pytest.mark.parametrize(("item_id", "channel"), _claims(Channel.MINIPROGRAM), ids=lambda v: str(v))
def test_miniprogram_flow_has_its_page_and_its_api(item_id: str, channel: Channel) -> None:
    flow = _flow(item_id, channel)
    pages = json.loads(APP_JSON.read_text(encoding="utf-8"))["pages"]
    assert flow.page in pages, f"{item_id}: {flow.page} is not a page of the mini-program"
    page_source = (APP_JSON.parent / f"{flow.page}.js").read_text(encoding="utf-8")
    paths = {op["operationId"]: path for path, ops in openapi_document(api_v1)["paths"].items() for op in ops.values()}
    missing = set(flow.operations + flow.links) - set(paths)
    assert not missing, f"{item_id}: {flow.page} calls {missing}, which the API does not offer"
    for operation in flow.operations:
        # The page's script names the operation's path ("{code}" written as a template: `${…}`).
        pattern = re.escape(paths[operation]).replace(r"\{", "{").replace(r"\}", "}")
        pattern = re.sub(r"\{[^}]+\}", r"\$\{[^}]+\}", pattern)
        assert re.search(pattern + r"['`\"]", page_source), (
            f"{flow.page} does not call {operation} ({paths[operation]})"
        )


@pytest.mark.parametrize(
    ("item_id", "channel"), _claims(Channel.KIOSK) + _claims(Channel.HOTLINE), ids=lambda v: str(v)
)
def test_kiosk_and_console_screens_exist(app: Flask, item_id: str, channel: Channel) -> None:
    flow = _flow(item_id, channel)
    assert flow.screen in app.view_functions, f"{item_id}: no {channel.value} screen {flow.screen}"
    prefix = {Channel.KIOSK: "/kiosk/", Channel.HOTLINE: "/hotline/"}[channel]
    rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint == flow.screen]
    assert rules and all(r.startswith(prefix) for r in rules), rules


def test_online_consultation_is_offered_only_where_it_exists(client: FlaskClient) -> None:
    ways = load_flows().consult
    assert ways, "the web's mailbox at least"
    for way in ways:
        assert way.channel is Channel.WEB or way.channel in (Channel.MINIPROGRAM,), way
        assert client.get(way.page).status_code == 200, way.page
    line = load_flows().consult_line()
    for item in load_catalog():
        assert item.consult.online == line
        assert "微信小程序" not in item.consult.online  # no consultation page in the mini-program (yet)


def test_the_guides_and_the_api_say_what_the_flows_carry(client: FlaskClient) -> None:
    expected = {i.id for i in load_catalog() if Channel.MINIPROGRAM in i.channels}
    listed = client.get("/api/v1/catalog", headers={"X-Shebao-Channel": "miniprogram"}).get_json()["items"]
    assert {i["id"] for i in listed} == expected
    # Today the mini-program books, cancels, follows applications and opens their receipts, prints certificates,
    # shows the rights records, the pension estimate and the card (and reports it lost), and applies for every
    # item that can be applied for online (fields, uploads or the face check, and a window visit booked after the
    # pre-review).
    assert expected == {i.id for i in applicable_items()} | {
        "appointment-booking",
        "appointment-cancel",
        "progress-applications",
        "progress-handling",
        "cert-insurance-proof",
        "cert-contribution-record",
        "cert-benefit-details",
        "rights-registration",
        "rights-contributions",
        "rights-personal-account",
        "rights-benefits",
        "pension-estimate",
        "card-status",
        "cert-acceptance-notice",
        "cert-result-notice",
        "cert-transfer-voucher",
    }
    # The pension estimate and the card status are services of their own at /services/<id> (no separate guide).
    for item in (i for i in load_catalog() if i.id not in ("pension-estimate", "card-status")):
        page = client.get(f"/services/{item.id}").get_data(as_text=True)
        channels = "、".join(c.label for c in item.channels)
        assert f"<dt>办理渠道</dt><dd>{channels}</dd>" in page, item.id
        assert item.consult.online in page, item.id
    detail = client.get("/api/v1/catalog/pension-transfer-out").get_json()
    assert detail["channels"] == ["web", "miniprogram"] and detail["consult"]["online"] == load_flows().consult_line()
