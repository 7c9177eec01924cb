"""The OpenAPI 3.1 description of ``/api/v1/``, served at ``/api/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

from gateway.api.appointments_doc import APPOINTMENT_PATHS, APPOINTMENT_SCHEMAS
from gateway.api.auth import AUTH_PATHS, AUTH_SCHEMAS
from gateway.api.certificates import CERTIFICATE_PATHS, CERTIFICATE_SCHEMAS
from gateway.api.services_extra import SERVICE_PATHS
from gateway.applications.api_doc import APPLICATION_PATHS, APPLICATION_SCHEMAS
from gateway.help.api_doc import HELP_PATHS, HELP_SCHEMAS
from notify.api_doc import INBOX_PATHS, INBOX_SCHEMAS

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


# Public certificate verification (esign/, LD/T 01 5.4.2.4): no login, rate-limited per address.
_VERIFY_DOCUMENT = {
    "type": ["object", "null"],
    "properties": {
        "type": {
            "type": "string",
            "enum": ["person_proof", "contribution_record", "benefit_payments", "unit_proof"],
        },
        "type_label": {"type": "string", "examples": ["个人参保证明"]},
        "issuer": {"type": "string"},
        "issued_on": {"type": "string", "format": "date"},
        "valid_until": {"type": "string", "format": "date"},
        "holder": {
            "type": "string",
            "description": "脱敏后的证明对象",
            "examples": ["李**（610***********0210）"],
        },
        "facts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"label": {"type": "string"}, "value": {"type": "string"}},
            },
        },
        "fingerprint": {"type": "string", "description": "盖章后 PDF 的 SHA-256"},
    },
}
_VERIFY_RESULT = {"type": "string", "enum": ["genuine", "expired", "revoked", "not_found"]}
_VERIFY_SCHEMAS = {
    "VerifyDocument": _VERIFY_DOCUMENT,
    "VerifyCode": {
        "type": "object",
        "required": ["result", "message"],
        "properties": {
            "result": _VERIFY_RESULT,
            "message": {"type": "string"},
            "document": {"$ref": "#/components/schemas/VerifyDocument"},
        },
    },
    "VerifyPdf": {
        "type": "object",
        "required": ["seal", "message", "fingerprint"],
        "properties": {
            "seal": {
                "type": "string",
                "enum": ["sealed", "modified", "broken", "untrusted", "unsealed", "unreadable"],
            },
            "message": {"type": "string"},
            "fingerprint": {"type": "string"},
            "signed_at": {"type": ["string", "null"], "format": "date-time"},
            "timestamp_trusted": {"type": "boolean"},
            "result": {"oneOf": [_VERIFY_RESULT, {"type": "null"}]},
            "document": {"$ref": "#/components/schemas/VerifyDocument"},
        },
    },
}
_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_VERIFY_PATHS = {
    "/api/v1/verify": {
        "get": {
            "operationId": "verifyCode",
            "summary": "按防伪码核验证明（无需登录）",
            "parameters": [
                {
                    "name": "code",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 40},
                    "description": "18 位防伪码，可带短横线",
                }
            ],
            "responses": {
                "200": {
                    "description": "真实有效、已过期或已作废",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerifyCode"}}},
                },
                "404": {
                    "description": "未查到（校验位错误时回答相同）",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerifyCode"}}},
                },
                "400": {"description": "防伪码格式不正确", "content": _JSON_ERROR},
                "429": {"description": "查询过于频繁", "content": _JSON_ERROR},
            },
        }
    },
    "/api/v1/verify/pdf": {
        "post": {
            "operationId": "verifyPdf",
            "summary": "上传 PDF 证明，核验电子印章和是否被修改",
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"pdf": {"type": "string", "format": "binary"}},
                        }
                    },
                    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            "responses": {
                "200": {
                    "description": "核验结果",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerifyPdf"}}},
                },
                "400": {"description": "没有文件", "content": _JSON_ERROR},
                "413": {"description": "文件过大", "content": _JSON_ERROR},
                "429": {"description": "上传过于频繁", "content": _JSON_ERROR},
            },
        }
    },
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "社保网上经办网关 API", "version": "1.0.0"},
        "servers": [{"url": "/"}],
        "paths": {
            **INBOX_PATHS,
            **APPOINTMENT_PATHS,
            **AUTH_PATHS,
            **APPLICATION_PATHS,
            **HELP_PATHS,
            **CERTIFICATE_PATHS,
            **SERVICE_PATHS,
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
            **_VERIFY_PATHS,
            "/api/v1/catalog/{item_id}": {
                "get": {
                    "operationId": "getCatalogItem",
                    "summary": "办事指南",
                    "parameters": [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "事项详情",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemSummary"}}},
                        },
                        "404": {
                            "description": "没有该事项",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        },
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Error": _ERROR,
                "ItemSummary": _ITEM_SUMMARY,
                **_VERIFY_SCHEMAS,
                **INBOX_SCHEMAS,
                **APPOINTMENT_SCHEMAS,
                **AUTH_SCHEMAS,
                **APPLICATION_SCHEMAS,
                **HELP_SCHEMAS,
                **CERTIFICATE_SCHEMAS,
            },
            # Mini-program and kiosk API sessions (identity layer): short-lived JWT access tokens.
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
