"""The OpenAPI 3.1 document of ``/api/v1/``, served at ``/api/v1/openapi.json``, written by APIFlask from the
operations' own declarations — nothing here describes an operation by hand.

The gateway itself stays a plain Flask app (its web pages, error pages and routes are not APIFlask's business):
APIFlask's generator runs over the same ``/api/v1`` blueprints registered in a document-only ``APIFlask`` that
serves nothing. What APIFlask cannot see is added from other declarations: the gate's need of each operation
(``gateway.access.needs``) makes it ``bearer``-secured with its 401/403 answers, and :func:`raw_body` names a
request body sent as raw bytes.
"""

from __future__ import annotations

import copy
import json
import re
import warnings
from functools import lru_cache
from typing import Any

from apiflask import APIBlueprint, APIFlask

from gateway.access.needs import Audience, need_of
from gateway.api.conventions import (
    IDEMPOTENCY_HEADER,
    MAX_PAGE_SIZE,
    NO_STORE,
    PUBLIC_CACHE,
    REPLAYED_HEADER,
    is_cacheable,
)
from gateway.api.declare import RAW_BODIES, RUNTIME_CONFIG
from gateway.api.examples import EXAMPLES, PDF_EXAMPLE
from gateway.api.schemas import Error
from gateway.catalog import load_catalog
from gateway.catalog.model import Channel
from gateway.channel_policy import CHANNEL_HEADER

TITLE = "社保网上经办网关 API"
VERSION = "1.0.0"

DOCUMENT_CONFIG: dict[str, Any] = {
    **RUNTIME_CONFIG,
    "OPENAPI_VERSION": "3.1.0",
    "SERVERS": [{"url": "/"}],
    # Mini-program and kiosk API sessions (identity layer): short-lived JWT access tokens.
    "SECURITY_SCHEMES": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
    "VALIDATION_ERROR_SCHEMA": Error,
    "HTTP_ERROR_SCHEMA": Error,
    "SUCCESS_DESCRIPTION": "成功",
    "NOT_FOUND_DESCRIPTION": "没有找到",
    "AUTH_ERROR_DESCRIPTION": "未登录或登录凭证无效",
    # Summaries are declared in Chinese on each operation; the views' English docstrings stay out.
    "AUTO_OPERATION_SUMMARY": False,
    "AUTO_OPERATION_DESCRIPTION": False,
}


def _document_app(bp: APIBlueprint) -> APIFlask:
    app = APIFlask(__name__, title=TITLE, version=VERSION, spec_path=None, docs_path=None, json_errors=False)
    app.config.update(DOCUMENT_CONFIG)
    app.register_blueprint(bp)
    return app


def _level(need) -> int:
    if need.item:
        return max(need.level, int(load_catalog().get(need.item).assurance_level))
    return need.level


_CHANNEL_PARAMETER = {
    "name": CHANNEL_HEADER,
    "in": "header",
    "required": False,
    "description": "调用方渠道（web、miniprogram、kiosk、hotline）；不填为 web。登录凭证只在签发它的渠道有效，"
    "渠道策略决定该渠道可做哪些操作",
    "schema": {"type": "string", "enum": [c.value for c in Channel], "default": "web"},
}
_IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_HEADER,
    "in": "header",
    "required": False,
    "description": "幂等键（1–80 个可见 ASCII 字符，建议用 UUID）。同一登录用户 24 小时内用同一键重发同一请求，"
    "返回第一次成功的应答（状态码和内容相同，并带 Idempotent-Replayed: true），"
    "不会重复办理；同一键用于不同请求返回 422",
    "schema": {"type": "string", "minLength": 1, "maxLength": 80, "pattern": "^[!-~]+$"},
    "example": "6f1c2b1e-8d2f-4c1a-9b7e-3f0a2d4c5e6b",
}
_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "上次应答的 ETag；内容未变时返回 304，不带内容",
    "schema": {"type": "string"},
}
_NO_STORE = {
    "Cache-Control": {
        "description": "个人信息不得缓存",
        "schema": {"type": "string", "enum": [NO_STORE, "private, no-store"]},
    }
}
_CACHEABLE = {
    "ETag": {"description": "内容的标签，下次请求放在 If-None-Match 中", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "公开内容，可缓存",
        "schema": {"type": "string", "example": PUBLIC_CACHE},
    },
}
PAGING_CONVENTION = (
    f"分页约定：可增长的列表都分页，查询参数 page（从 1 开始）和 page_size（1–{MAX_PAGE_SIZE}，默认 20），"
    "应答在列表旁给出 page、page_size、pages（至少为 1）、total；超过最后一页返回空列表。"
)


def _add_parameter(operation: dict[str, Any], parameter: dict[str, Any]) -> None:
    present = {(p.get("in"), p.get("name", "").lower()) for p in operation.get("parameters", [])}
    if (parameter["in"], parameter["name"].lower()) not in present:
        operation.setdefault("parameters", []).append(dict(parameter))


def _with_examples(operation: dict[str, Any]) -> None:
    """An example request and answer on every operation: the declaration's own, else :mod:`gateway.api.examples`
    (binary bodies and answers are described as such)."""
    known = EXAMPLES.get(operation.get("operationId", ""), {})
    for status, answer in operation["responses"].items():
        if not status.startswith("2"):
            continue
        for content in answer.get("content", {}).values():
            if "example" in content or "examples" in content:
                continue
            if content.get("schema", {}).get("format") == "binary":
                content["example"] = PDF_EXAMPLE
            elif "response" in known:
                content["example"] = known["response"]
    for content in operation.get("requestBody", {}).get("content", {}).values():
        if "example" in content or "examples" in content:
            continue
        if content.get("schema", {}).get("format") == "binary":
            content["example"] = PDF_EXAMPLE
        elif "request" in known:
            content["example"] = known["request"]


def _with_conventions(view, method: str, operation: dict[str, Any], personal: bool) -> None:
    """The headers every operation takes and gives (``gateway.api.conventions``)."""
    _add_parameter(operation, _CHANNEL_PARAMETER)
    success = [a for status, a in operation["responses"].items() if status.startswith("2")]
    if personal or method != "GET":
        for answer in success:
            answer.setdefault("headers", {}).update(_NO_STORE)
    if personal and method == "POST":
        _add_parameter(operation, _IDEMPOTENCY_PARAMETER)
        for answer in success:
            answer["headers"][REPLAYED_HEADER] = {
                "description": "重发的请求：这是第一次成功的应答",
                "schema": {"type": "string", "enum": ["true"]},
            }
        error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        operation["responses"].setdefault("400", {"description": "请求参数不正确", "content": error})
        operation["responses"].setdefault(
            "422", {"description": "该幂等键已用于另一项不同的请求（idempotency_key_reused）", "content": error}
        )
        operation["responses"].setdefault(
            "409", {"description": "相同的请求正在处理中（idempotency_in_flight）", "content": error}
        )
    if is_cacheable(view) and method == "GET":
        _add_parameter(operation, _IF_NONE_MATCH)
        for answer in success:
            answer.setdefault("headers", {}).update(_CACHEABLE)
        operation["responses"]["304"] = {
            "description": "内容未改变（If-None-Match 与 ETag 相同）",
            "headers": _CACHEABLE,
        }


def _with_needs(app: APIFlask, doc: dict[str, Any]) -> dict[str, Any]:
    """Mark each operation the gate guards as bearer-secured, with its 401 and 403 answers; a public one
    declares that it needs no credentials (``security: []``); and every operation's convention headers."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        path = re.sub(r"<(?:[^<:>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = doc["paths"].get(path, {}).get(method.lower())
            if operation is None:
                continue
            for media_type, description in getattr(view, RAW_BODIES, ()):
                body = operation.setdefault("requestBody", {"content": {}})
                body["content"][media_type] = {
                    "schema": {"type": "string", "format": "binary", "description": description}
                }
            need = need_of(view)
            personal = need is None or need.audience is not Audience.PUBLIC
            _with_conventions(view, method, operation, personal)
            _with_examples(operation)
            if not personal:
                operation["security"] = []
                continue
            operation["security"] = [{"bearer": []}]
            responses = operation["responses"]
            responses.setdefault("401", {"description": "未登录或登录凭证无效", "content": error})
            level = _level(need)
            refused = f"安全级别不足（需 {level} 级，请先完成身份核验），或该渠道不提供此项服务"
            responses.setdefault("403", {"description": refused, "content": error})
    return doc


def _one_name_per_schema(doc: dict[str, Any]) -> dict[str, Any]:
    """A schema both nested in another answer and answered on its own is registered twice by APIFlask
    (``Booking`` and ``Booking1``): keep the first name and point every reference at it."""
    schemas = doc["components"]["schemas"]
    renamed = {}
    for name in list(schemas):
        first = re.sub(r"[0-9]+$", "", name)
        if first != name and schemas.get(first) == schemas[name]:
            renamed[f"#/components/schemas/{name}"] = f"#/components/schemas/{first}"
            del schemas[name]
    if not renamed:
        return doc
    text = json.dumps(doc, ensure_ascii=False)
    for old, new in renamed.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    return json.loads(text)


@lru_cache(maxsize=1)
def _document(bp: APIBlueprint) -> dict[str, Any]:
    app = _document_app(bp)
    with app.app_context(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*has already been added to the spec", category=UserWarning)
        doc = copy.deepcopy(app.spec)
    doc = _with_needs(app, doc)  # type: ignore[arg-type]
    doc["info"]["description"] = PAGING_CONVENTION
    return _one_name_per_schema(doc)


def openapi_document(bp: APIBlueprint) -> dict[str, Any]:
    """The document of the API blueprint ``bp`` (``gateway.api.v1.bp``), built once per process: the declarations
    do not change while it runs."""
    return copy.deepcopy(_document(bp))
