"""The reference back office served over HTTP: key check, argument checks, errors in the API shape."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker

from gateway.backoffice.demo import DEMO_PEOPLE
from gateway.backoffice.local import LocalBackOffice
from gateway.backoffice.server import create_backoffice_app
from gateway.db import make_engine
from tests.backoffice.conftest import API_KEY

EMPLOYEE = DEMO_PEOPLE[0].id_number
AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def server(local_backoffice):
    return create_backoffice_app(local_backoffice, API_KEY).test_client()


def test_every_call_needs_the_key(server) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": API_KEY}):
        resp = server.post("/v1/find_person", json={"id_number": EMPLOYEE}, headers=headers)
        assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthorized"


def test_a_query_answers_result_with_wire_values(server) -> None:
    resp = server.post("/v1/contributions", json={"id_number": EMPLOYEE, "page": 1, "page_size": 2}, headers=AUTH)
    assert resp.status_code == 200
    page = resp.json["result"]
    assert set(page) == {"items", "page", "page_size", "total"} and len(page["items"]) == 2
    item = page["items"][0]
    assert isinstance(item["base"], str) and "." in item["base"]  # money as a decimal string, never a float
    assert item["scheme"] in {"pension", "work_injury", "unemployment", "medical"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"id_number": 42},
        {"id_number": EMPLOYEE, "page": 0, "page_size": 10},
        {"id_number": EMPLOYEE, "page": 1, "page_size": 100000},
        {"id_number": EMPLOYEE, "page": 1, "page_size": 10, "scheme": "lottery"},
        {"id_number": EMPLOYEE, "page": "1", "page_size": 10},
        {"id_number": EMPLOYEE, "page": 1, "page_size": 10, "extra": 1},
    ],
)
def test_bad_arguments_are_400_in_the_error_shape(server, body) -> None:
    resp = server.post("/v1/contributions", json=body, headers=AUTH)
    assert resp.status_code == 400
    assert resp.json["error"]["code"] == "bad_arguments" and resp.json["error"]["message"].startswith("参数不正确")


def test_non_json_body_is_400(server) -> None:
    resp = server.post("/v1/find_person", data="id=1", headers=AUTH, content_type="text/plain")
    assert resp.status_code == 400


def test_unknown_operations_and_verbs(server) -> None:
    assert server.post("/v1/drop_tables", json={}, headers=AUTH).status_code == 404
    assert server.get("/v1/find_person", headers=AUTH).status_code == 405


def test_a_down_store_is_503(tmp_path) -> None:
    # An empty database file has no bo_person table: the local back office reports itself unavailable.
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    client = create_backoffice_app(LocalBackOffice(sessionmaker(bind=engine)), API_KEY).test_client()
    resp = client.post("/v1/ping", headers=AUTH)
    assert resp.status_code == 503 and resp.json["error"]["code"] == "unavailable"
    engine.dispose()


def test_the_server_refuses_to_run_without_a_key(local_backoffice) -> None:
    with pytest.raises(ValueError):
        create_backoffice_app(local_backoffice, "")


def test_a_back_office_without_phone_changes_does_not_offer_them() -> None:
    class ReadOnly:
        def ping(self) -> None:
            return None

    client = create_backoffice_app(ReadOnly(), API_KEY).test_client()  # type: ignore[arg-type]
    resp = client.post("/v1/update_phone", json={"id_number": EMPLOYEE, "phone": "13912345678"}, headers=AUTH)
    assert resp.status_code == 404 and resp.json["error"]["code"] == "unknown_operation"
    assert client.post("/v1/ping", json={}, headers=AUTH).json == {"result": None}
