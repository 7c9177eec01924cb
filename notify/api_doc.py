"""The OpenAPI description of ``/api/v1/inbox`` (merged into the gateway's document)."""

from __future__ import annotations

_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

INBOX_SCHEMAS = {
    "InboxMessage": {
        "type": "object",
        "required": ["id", "kind", "kind_label", "title", "body", "link", "delivered_at", "read"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {
                "type": "string",
                "enum": [
                    "appointment_booked",
                    "appointment_cancelled",
                    "appointment_reminder",
                    "application_progress",
                    "application_result",
                    "login_code",
                    "benefit_change",
                    "account_change",
                    "policy",
                ],
            },
            "kind_label": {"type": "string", "examples": ["办理结果"]},
            "title": {"type": "string"},
            "body": {"type": "string"},
            "link": {"type": ["string", "null"], "description": "本站内的相对地址"},
            "delivered_at": {
                "type": "string",
                "description": "送达时间（北京时间）",
                "examples": ["2026-11-23T10:00"],
            },
            "read": {"type": "boolean"},
        },
    },
}

INBOX_PATHS = {
    "/api/v1/inbox": {
        "get": {
            "operationId": "listInbox",
            "summary": "站内信列表与未读数（LD/T 01 5.4.4）",
            "description": "需要登录：小程序、自助终端用 Bearer 访问令牌，网页用会话 Cookie。",
            "parameters": [
                {
                    "name": "page",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1},
                },
                {
                    "name": "page_size",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 50},
                },
            ],
            "responses": {
                "200": {
                    "description": "一页站内信，最新的在前",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["unread", "page", "pages", "total", "items"],
                                "properties": {
                                    "unread": {"type": "integer"},
                                    "page": {"type": "integer"},
                                    "pages": {"type": "integer"},
                                    "total": {"type": "integer"},
                                    "items": {
                                        "type": "array",
                                        "items": {"$ref": "#/components/schemas/InboxMessage"},
                                    },
                                },
                            }
                        }
                    },
                },
                "400": {"description": "页码不正确", "content": _ERR},
                "401": {"description": "未登录", "content": _ERR},
            },
        }
    },
    "/api/v1/inbox/{message_id}": {
        "get": {
            "operationId": "openInboxMessage",
            "summary": "打开一条站内信（标记为已读）",
            "parameters": [{"name": "message_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {
                "200": {
                    "description": "消息",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/InboxMessage"}}},
                },
                "401": {"description": "未登录", "content": _ERR},
                "404": {"description": "没有这条消息", "content": _ERR},
            },
        }
    },
}
