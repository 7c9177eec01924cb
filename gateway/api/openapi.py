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
from gateway.api.declare import RAW_BODIES, RUNTIME_CONFIG
from gateway.api.schemas import Error
from gateway.catalog import load_catalog

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


def _with_needs(app: APIFlask, doc: dict[str, Any]) -> dict[str, Any]:
    """Mark each operation the gate guards as bearer-secured, with its 401 and 403 answers."""
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
            if need is None or need.audience is Audience.PUBLIC:
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
    return _one_name_per_schema(_with_needs(app, doc))  # type: ignore[arg-type]


def openapi_document(bp: APIBlueprint) -> dict[str, Any]:
    """The document of the API blueprint ``bp`` (``gateway.api.v1.bp``), built once per process: the declarations
    do not change while it runs."""
    return copy.deepcopy(_document(bp))
