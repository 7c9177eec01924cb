"""One declaration per ``/api/v1`` operation (``gateway.api``, APIFlask): it validates the input, shapes the output
and writes the OpenAPI document; the gate's need of each operation marks it secured. Refusals keep the gateway's
shape — ``400`` with ``{"error": {"code", "message"}}`` in Chinese, never APIFlask's English 422."""

from __future__ import annotations

from apiflask import APIFlask
from flask import Flask

from gateway.access.needs import Audience, need_of
from gateway.api.openapi import openapi_document
from gateway.api.v1 import bp as api_v1
from tests.conftest import login

#: ``/api/v1`` routes outside the public document: the operators' token API (gateway/api/staff_messages.py).
NOT_YET_MOVED = {"notify_staff_api"}


def _api_rules(app: Flask):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")]


def _path(rule) -> str:
    import re

    return re.sub(r"<(?:[^<:>]+:)?([^<>]+)>", r"{\1}", rule.rule)


def test_every_operation_is_declared_once_and_documented(app: Flask) -> None:
    doc = openapi_document(api_v1)
    served = set()
    for rule in _api_rules(app):
        if rule.endpoint.split(".")[0] in NOT_YET_MOVED:
            continue
        assert rule.endpoint.startswith("api_v1."), rule.endpoint
        need = need_of(app.view_functions[rule.endpoint])
        assert need is not None, f"{rule.endpoint} declares no need"
        if rule.endpoint == "api_v1.openapi":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = doc["paths"][_path(rule)][method.lower()]
            served.add((_path(rule), method.lower()))
            assert operation["operationId"] and operation["summary"], rule.endpoint
            assert any("\u4e00" <= ch <= "\u9fff" for ch in operation["summary"]), operation["summary"]
            secured = need.audience is not Audience.PUBLIC
            # Every operation declares its security (issue 14): the bearer token, or explicitly none.
            assert "security" in operation, rule.endpoint
            if secured:
                assert operation["security"] == [{"bearer": []}] and {"401", "403"} <= set(operation["responses"])
            else:
                assert operation["security"] == [], rule.endpoint
            for status, answer in operation["responses"].items():
                # A code that is not found is an answer of its own (verify), not an error.
                if status.startswith(("4", "5")) and (path_of := _path(rule)) != "/api/v1/verify":
                    error = answer["content"]["application/json"]["schema"]
                    assert error == {"$ref": "#/components/schemas/Error"}, (path_of, status)
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == served


def test_the_document_keeps_its_contract(client) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert {k: doc["info"][k] for k in ("title", "version")} == {"title": "社保网上经办网关 API", "version": "1.0.0"}
    assert "分页约定" in doc["info"]["description"]  # the one paging convention, documented
    assert doc["servers"] == [{"url": "/"}]
    assert doc["components"]["securitySchemes"] == {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    body = doc["components"]["schemas"][error["properties"]["error"]["$ref"].rsplit("/", 1)[1]]
    assert set(body["required"]) == {"code", "message"}
    # No APIFlask defaults leak in: no 422 but the reused idempotency key's, no English descriptions, every schema
    # named once.
    for path, operations in doc["paths"].items():
        for operation in operations.values():
            assert "idempotency_key_reused" in operation["responses"].get("422", {}).get("description", "-") or (
                "422" not in operation["responses"]
            ), path
            for answer in operation["responses"].values():
                assert answer["description"].isascii() is False, (path, answer)
    assert not any(name[-1].isdigit() for name in doc["components"]["schemas"])
    assert "ValidationError" not in doc["components"]["schemas"] and "HTTPError" not in doc["components"]["schemas"]
    book = doc["paths"]["/api/v1/appointments"]["post"]
    assert book["requestBody"]["content"]["application/json"]["example"] == {"item": "person-registration", "slot": 101}


def test_the_app_stays_flask_and_gains_no_routes(app: Flask, client) -> None:
    assert not isinstance(app, APIFlask)
    for path in ("/docs", "/openapi.json", "/redoc", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/v1/docs").get_json()["error"]["code"] == "not_found"


def test_bad_input_is_a_chinese_400_in_our_shape(client) -> None:
    missing = client.post("/api/v1/progress/lookup", json={"id_number": "110101199003074777"})
    assert missing.status_code == 400
    assert missing.get_json() == {"error": {"code": "invalid_parameter", "message": "请输入申请编号。"}}
    blank = client.post("/api/v1/progress/lookup", json={"number": "  ", "id_number": "1"})
    assert blank.get_json()["error"]["message"] == "请输入申请编号。"
    wrong_type = client.post("/api/v1/auth/token/refresh", json={"refresh_token": 42})
    assert wrong_type.status_code == 400 and wrong_type.get_json()["error"]["message"] == "请提供刷新凭证。"
    for body in ("[]", "42", '"text"', "null"):
        resp = client.post("/api/v1/auth/logout", data=body, content_type="application/json")
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "bad_request", body
    broken = client.post("/api/v1/auth/logout", data="{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.get_json()["error"]["code"] == "bad_request"
    # Unknown fields are ignored, not refused (a newer client may send more).
    extra = client.post("/api/v1/progress/lookup", json={"number": "SQ1", "id_number": "1", "channel": "x"})
    assert extra.status_code == 404
    for hall in ("+3", "1_000", "３", "1.5", "99999999999999"):
        resp = client.get("/api/v1/appointments/slots", query_string={"hall": hall})
        assert resp.status_code == 400 and "hall" in resp.get_json()["error"]["message"], hall


def test_query_refusals_keep_their_own_codes(client, person) -> None:
    login(client, person.id_number)
    for page in ("0", "abc", "10001"):
        resp = client.get("/api/v1/inbox", query_string={"page": page})
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_page", page
    assert client.get("/api/v1/inbox", query_string={"page_size": "51"}).get_json()["error"]["code"] == "invalid_page"
    too_long = client.get("/api/v1/verify", query_string={"code": "A" * 41})
    assert too_long.status_code == 400 and too_long.get_json()["error"]["code"] == "bad_code"


def test_cookie_writes_need_csrf_but_public_and_bearer_ones_do_not(client, person) -> None:
    # Public operations use no session: a login or a look-up carries no CSRF token.
    assert client.post("/api/v1/progress/lookup", json={"number": "SQ1", "id_number": "1"}).status_code == 404
    login(client, person.id_number)
    refused = client.post("/api/v1/appointments/NOSUCH01/cancel")
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf"
    assert client.post("/api/v1/progress/lookup", json={"number": "SQ1", "id_number": "1"}).status_code == 404


def test_every_operation_says_how_to_call_it() -> None:
    """Issue 14: every operation declares its security, takes the channel header, has a tag and an example request
    (where it has a body) and answer — and each JSON example is valid against the operation's own schema."""
    import jsonschema_rs as jsonschema  # schemathesis's own validator

    doc = openapi_document(api_v1)
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert "security" in operation and operation.get("tags"), where
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            assert "X-Shebao-Channel" in headers, where
            if method == "post" and operation["security"]:
                assert "Idempotency-Key" in headers and "422" in operation["responses"], where
            for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
                assert "example" in content, (where, media_type)
                if media_type == "application/json":
                    _valid(jsonschema, doc, content["schema"], content["example"], where)
            answers = [(s, a) for s, a in operation["responses"].items() if s.startswith("2")]
            assert answers, where
            for status, answer in answers:
                for media_type, content in answer.get("content", {}).items():
                    assert "example" in content, (where, status, media_type)
                    if media_type == "application/json":
                        _valid(jsonschema, doc, content["schema"], content["example"], where)
                if operation["security"]:
                    assert "Cache-Control" in answer.get("headers", {}), where


def _valid(jsonschema, doc: dict, schema: dict, example, where: str) -> None:
    validator = jsonschema.Draft202012Validator({**schema, "components": doc["components"]})
    errors = [str(e) for e in validator.iter_errors(example)]
    assert not errors, (where, errors[:3])
