"""The OpenAPI 3.1 description of ``/api/v1/``, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "examples": ["unknown_item"]},
                "message": {
                    "type": "string",
                    "description": "给用户看的中文提示",
                    "examples": ["没有找到该服务事项，请从服务事项清单中选择。"],
                },
            },
        }
    },
}

_ITEM_SUMMARY = {
    "type": "object",
    "required": ["id", "code", "name", "summary", "section", "handling_kind", "assurance_level"],
    "properties": {
        "id": {"type": "string", "examples": ["pension-transfer-out"]},
        "code": {"type": "string"},
        "name": {"type": "string"},
        "summary": {"type": "string"},
        "section": {
            "type": "string",
            "enum": ["appointments", "progress", "certificates", "rights", "services"],
        },
        "handling_kind": {"type": "string", "enum": ["instant", "promised", "appointment"]},
        "legal_limit_days": {"type": ["integer", "null"], "description": "法定或承诺时限（工作日）"},
        "assurance_level": {"type": "integer", "enum": [1, 2, 3]},
    },
}

_CHANNEL_HEADER = {
    "name": "X-Shebao-Channel",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "enum": ["web", "miniprogram", "kiosk", "hotline"], "default": "web"},
    "description": "调用方渠道；决定返回哪些事项",
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "社保网上经办网关 API", "version": "1.0.0"},
        "servers": [{"url": "/"}],
        "paths": {
            "/api/v1/catalog": {
                "get": {
                    "operationId": "listCatalog",
                    "summary": "网上服务事项清单（LD/T 01 3.2）",
                    "parameters": [_CHANNEL_HEADER],
                    "responses": {
                        "200": {
                            "description": "事项列表",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["items"],
                                        "properties": {
                                            "items": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/ItemSummary"},
                                            }
                                        },
                                    }
                                }
                            },
                        }
                    },
                }
            },
            "/api/v1/catalog/{item_id}": {
                "get": {
                    "operationId": "getCatalogItem",
                    "summary": "办事指南",
                    "parameters": [
                        {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "事项详情",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/ItemSummary"}}
                            },
                        },
                        "404": {
                            "description": "没有该事项",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                            },
                        },
                    },
                }
            },
        },
        "components": {"schemas": {"Error": _ERROR, "ItemSummary": _ITEM_SUMMARY}},
    }
