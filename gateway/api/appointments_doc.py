"""The OpenAPI description of ``/api/v1/appointments`` (merged into the gateway's document), with examples."""

from __future__ import annotations

_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_BEARER = [{"bearer": []}]


def _ok(description: str, ref: str, example: dict | None = None) -> dict:
    content = {"schema": {"$ref": f"#/components/schemas/{ref}"}}
    if example is not None:
        content["example"] = example
    return {"description": description, "content": {"application/json": content}}


def _errors(*codes: str) -> dict:
    meaning = {
        "400": "请求参数不正确",
        "401": "未登录或令牌已失效",
        "403": "暂停网上预约等",
        "404": "没有找到事项、网点、时段或预约",
        "409": "约满、重复预约、超过取消时限、不在签到时间等，message 说明原因",
    }
    return {code: {"description": meaning[code], "content": _ERR} for code in codes}


_HALL_EXAMPLE = {
    "id": 1,
    "name": "示例市社会保险经办服务中心",
    "address": "示例市渭滨区经二路 1 号",
    "phone": "0917-3212333",
    "hours": "工作日 9:00-12:00、13:30-17:00",
    "map_url": "",
}
_BOOKING_EXAMPLE = {
    "code": "K7M2Q9TX",
    "status": "booked",
    "status_label": "已预约",
    "item": {"id": "person-registration", "name": "个人参保登记"},
    "hall": _HALL_EXAMPLE,
    "day": "2026-11-24",
    "start": "09:00",
    "end": "09:30",
    "ticket": None,
    "priority": False,
}

APPOINTMENT_SCHEMAS = {
    "Hall": {
        "type": "object",
        "required": ["id", "name", "address", "phone", "hours", "map_url"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "address": {"type": "string"},
            "phone": {"type": "string"},
            "hours": {"type": "string"},
            "map_url": {"type": "string"},
        },
    },
    "Booking": {
        "type": "object",
        "required": ["code", "status", "status_label", "item", "hall", "day", "start", "end", "ticket", "priority"],
        "properties": {
            "code": {"type": "string", "description": "预约码（8 位），也印在二维码里"},
            "status": {"type": "string", "enum": ["booked", "cancelled", "checked_in", "no_show"]},
            "status_label": {"type": "string"},
            "item": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
            },
            "hall": {"$ref": "#/components/schemas/Hall"},
            "day": {"type": "string", "format": "date"},
            "start": {"type": "string", "examples": ["09:00"]},
            "end": {"type": "string", "examples": ["09:30"]},
            "ticket": {"type": ["string", "null"], "description": "签到后的排队号；J 开头为优先办理（条例第十七条）"},
            "priority": {"type": "boolean"},
        },
    },
}

APPOINTMENT_PATHS = {
    "/api/v1/appointments/halls": {
        "get": {
            "operationId": "listHallsForItem",
            "summary": "办理某事项的服务网点",
            "parameters": [{"name": "item", "in": "query", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": "网点列表",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["halls"],
                                "properties": {
                                    "halls": {"type": "array", "items": {"$ref": "#/components/schemas/Hall"}}
                                },
                            },
                            "example": {"halls": [_HALL_EXAMPLE]},
                        }
                    },
                },
                **_errors("404"),
            },
        }
    },
    "/api/v1/appointments/slots": {
        "get": {
            "operationId": "listSlots",
            "summary": "网点明天起一周的可预约时段和剩余名额（LD/T 01 5.1 a）",
            "parameters": [
                {"name": "hall", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 1}}
            ],
            "responses": {
                "200": {
                    "description": "逐日的时段；节假日和闭厅日 open 为 false",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["hall", "days"],
                                "properties": {
                                    "hall": {"$ref": "#/components/schemas/Hall"},
                                    "days": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["day", "open", "slots"],
                                            "properties": {
                                                "day": {"type": "string", "format": "date"},
                                                "open": {"type": "boolean"},
                                                "slots": {
                                                    "type": "array",
                                                    "items": {
                                                        "type": "object",
                                                        "required": ["id", "start", "end", "capacity", "remaining"],
                                                        "properties": {
                                                            "id": {"type": "integer"},
                                                            "start": {"type": "string"},
                                                            "end": {"type": "string"},
                                                            "capacity": {"type": "integer"},
                                                            "remaining": {"type": "integer"},
                                                        },
                                                    },
                                                },
                                            },
                                        },
                                    },
                                },
                            },
                            "example": {
                                "hall": _HALL_EXAMPLE,
                                "days": [
                                    {
                                        "day": "2026-11-24",
                                        "open": True,
                                        "slots": [
                                            {"id": 101, "start": "09:00", "end": "09:30", "capacity": 6, "remaining": 2}
                                        ],
                                    }
                                ],
                            },
                        }
                    },
                },
                **_errors("400", "404"),
            },
        }
    },
    "/api/v1/appointments": {
        "get": {
            "operationId": "listMyBookings",
            "summary": "我的预约",
            "security": _BEARER,
            "responses": {
                "200": {
                    "description": "预约列表，最近的在前",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["bookings"],
                                "properties": {
                                    "bookings": {"type": "array", "items": {"$ref": "#/components/schemas/Booking"}}
                                },
                            },
                            "example": {"bookings": [_BOOKING_EXAMPLE]},
                        }
                    },
                },
                **_errors("401"),
            },
        },
        "post": {
            "operationId": "book",
            "summary": "预约一个时段：立即答复成功（预约码）或失败原因（LD/T 01 5.1 b）",
            "security": _BEARER,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["item", "slot"],
                            "properties": {"item": {"type": "string"}, "slot": {"type": "integer", "minimum": 1}},
                        },
                        "example": {"item": "person-registration", "slot": 101},
                    }
                },
            },
            "responses": {
                "201": _ok("预约成功", "Booking", _BOOKING_EXAMPLE),
                **_errors("400", "401", "403", "404", "409"),
            },
        },
    },
    "/api/v1/appointments/{code}/cancel": {
        "post": {
            "operationId": "cancelBooking",
            "summary": "取消预约（预约时间前 1 小时截止）",
            "security": _BEARER,
            "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": _ok("已取消", "Booking", {**_BOOKING_EXAMPLE, "status": "cancelled", "status_label": "已取消"}),
                **_errors("401", "404", "409"),
            },
        }
    },
    "/api/v1/appointments/{code}/check-in": {
        "post": {
            "operationId": "checkIn",
            "summary": "到厅签到取号（时段开始前后 30 分钟内）",
            "security": _BEARER,
            "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "required": ["hall"], "properties": {"hall": {"type": "string"}}},
                        "example": {"hall": "H01"},
                    }
                },
            },
            "responses": {
                "200": _ok(
                    "已签到，附排队号",
                    "Booking",
                    {**_BOOKING_EXAMPLE, "status": "checked_in", "status_label": "已签到", "ticket": "A012"},
                ),
                **_errors("400", "401", "404", "409"),
            },
        }
    },
}
