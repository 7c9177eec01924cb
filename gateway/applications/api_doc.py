"""OpenAPI paths and schemas of the applications API, spread into ``gateway.api.openapi``."""

from __future__ import annotations

from typing import Any

_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_APP = {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}
_STATUSES = [
    "submitted",
    "prereviewed",
    "accepted",
    "supplement_requested",
    "supplemented",
    "first_approved",
    "approved",
    "rejected",
    "archived",
]

APPLICATION_SCHEMAS: dict[str, Any] = {
    "Application": {
        "type": "object",
        "required": ["number", "item", "status", "status_label", "applicant", "department", "timeline"],
        "properties": {
            "number": {"type": "string", "examples": ["SQ20261123000042"]},
            "item": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "handling_kind": {"type": "string", "enum": ["instant", "promised", "appointment"]},
                },
            },
            "status": {"type": "string", "enum": _STATUSES},
            "status_label": {"type": "string", "examples": ["已受理"]},
            "applicant": {"type": "string", "description": "姓名（已脱敏）", "examples": ["张*"]},
            "submitted_at": {
                "type": ["string", "null"],
                "description": "北京时间（ISO 8601，不带时区），例如 2026-11-23T10:00:00",
            },
            "accepted_at": {
                "type": ["string", "null"],
                "description": "北京时间（ISO 8601，不带时区），例如 2026-11-23T10:00:00",
            },
            "department": {"type": "string"},
            "due_date": {
                "type": ["object", "null"],
                "description": "办结时限（工作日）；provisional 为 true：节假日安排尚未公布，日期暂定",
                "properties": {
                    "date": {"type": "string", "format": "date"},
                    "provisional": {"type": "boolean"},
                },
            },
            "overdue": {"type": "boolean"},
            "result": {"type": ["string", "null"]},
            "notice": {
                "type": "array",
                "items": {"type": "string"},
                "description": "补正材料一次性告知的全部问题（GB/T 31621 6.2.1.3）",
            },
            "materials": {"type": "array", "items": {"type": "object"}},
            "timeline": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "at": {
                            "type": "string",
                            "description": "北京时间（ISO 8601，不带时区），例如 2026-11-23T10:00:00",
                        },
                        "status": {"type": "string", "enum": _STATUSES},
                        "status_label": {"type": "string"},
                        "actor": {"type": "string"},
                        "note": {"type": "string"},
                    },
                },
            },
            "appointment_link": {"type": ["string", "null"]},
        },
    }
}

APPLICATION_PATHS: dict[str, Any] = {
    "/api/v1/applications": {
        "get": {
            "operationId": "listApplications",
            "summary": "我的申请（LD/T 01 5.2.1 a）；需登录",
            "responses": {
                "200": {
                    "description": "申请列表，最新的在前",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["applications"],
                                "properties": {
                                    "applications": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/Application"},
                                    }
                                },
                            }
                        }
                    },
                },
                "401": {"description": "未登录", "content": _ERR},
            },
        }
    },
    "/api/v1/applications/{number}": {
        "get": {
            "operationId": "getApplication",
            "summary": "申请的办理进度（LD/T 01 5.2.1 b）；需登录，仅限本人",
            "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": {"description": "申请详情和办理过程", "content": _APP},
                "401": {"description": "未登录", "content": _ERR},
                "404": {"description": "没有该申请", "content": _ERR},
            },
        }
    },
    "/api/v1/progress/lookup": {
        "post": {
            "operationId": "lookupProgress",
            "summary": "凭申请编号和申请人身份证号码查询办理进度（无需登录，限频）",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["number", "id_number"],
                            "properties": {"number": {"type": "string"}, "id_number": {"type": "string"}},
                        }
                    }
                },
            },
            "responses": {
                "200": {"description": "申请详情（姓名、证件号已脱敏）", "content": _APP},
                "400": {"description": "请求格式不正确", "content": _ERR},
                "404": {"description": "编号与证件号码不相符（不区分哪一项有误）", "content": _ERR},
                "429": {"description": "查询过于频繁", "content": _ERR},
            },
        }
    },
}
