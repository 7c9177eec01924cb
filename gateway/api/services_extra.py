"""``/api/v1/card`` and ``/api/v1/transfers`` (LD/T 01 5.4.3 b, e; 5.2.2 d): read-only queries for every channel.

The caller is the bearer token of the mini-program or kiosk, or else the web session's cookie (as
:mod:`gateway.applications.api`); nothing here changes state.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, request

from gateway.applications import card_status, transfers
from gateway.backoffice import get_backoffice
from gateway.catalog import load_catalog
from gateway.identity.service import Identity
from gateway.problems import UserError

bp = Blueprint("api_services_extra", __name__, url_prefix="/api/v1")


def _identity(item_id: str) -> Identity:
    """The caller, at least at the assurance level catalog item ``item_id`` declares (401 / 403 otherwise)."""
    from gateway.api.auth import bearer_identity
    from gateway.identity.current import current_identity, current_level

    level = int(load_catalog().get(item_id).assurance_level)
    found = bearer_identity()
    if found is None and request.headers.get("Authorization", "").startswith("Bearer "):
        raise UserError("login_required", "登录凭证无效，请重新登录。", 401)  # never fall back to the cookie
    who, reached = found if found is not None else (current_identity(), current_level())
    if who is None:
        raise UserError("login_required", "请先登录。", 401)
    if reached < level:
        raise UserError("step_up_required", f"该业务需要安全级别 {level}，请先完成身份核验。", 403)
    return who


@bp.get("/card")
def card():
    """The caller's social security card: status, masked number, and the steps while a card is made."""
    who = _identity("card-status")
    record = get_backoffice().find_person(who.id_number)
    if record is None:
        raise UserError("not_found", "没有查询到您的社会保障卡信息。", 404)
    return jsonify(card_status.card_json(card_status.view_of(record)))


@bp.get("/transfers")
def transfer_list():
    """The caller's transfers (转移接续), newest first, each with its stages and their dates."""
    who = _identity("rights-transfers")
    progress = transfers.for_person(get_backoffice(), who.id_number)
    return jsonify({"transfers": [transfers.progress_json(p) for p in progress]})


_ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_STEPS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["label", "done_on", "state"],
        "properties": {
            "label": {"type": "string", "examples": ["转出地审核"]},
            "done_on": {"type": ["string", "null"], "format": "date"},
            "state": {"type": "string", "enum": ["已完成", "办理中", "未开始"]},
        },
    },
}
_REFUSED = {
    "401": {"description": "未登录或登录凭证无效", "content": _ERR},
    "403": {"description": "安全级别不足，需先完成身份核验", "content": _ERR},
}

#: Spread into ``gateway.api.openapi``.
SERVICE_PATHS: dict[str, Any] = {
    "/api/v1/card": {
        "get": {
            "operationId": "getCardStatus",
            "summary": "社会保障卡应用状态查询（LD/T 01 5.4.3 e），安全级别 2",
            "responses": {
                "200": {
                    "description": "卡片状态；制卡中时附制卡进度",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["holder", "number", "status", "status_label", "steps"],
                                "properties": {
                                    "holder": {"type": "string", "description": "持卡人（已脱敏）"},
                                    "number": {
                                        "type": "string",
                                        "description": "卡号（已脱敏）",
                                        "examples": ["A1*****78"],
                                    },
                                    "status": {"type": "string", "enum": ["active", "lost", "making"]},
                                    "status_label": {"type": "string", "examples": ["制卡中"]},
                                    "advice": {"type": "string"},
                                    "branch": {"type": ["string", "null"], "description": "领卡网点"},
                                    "steps": _STEPS,
                                },
                            }
                        }
                    },
                },
                **_REFUSED,
                "404": {"description": "经办系统中没有该人员", "content": _ERR},
            },
        }
    },
    "/api/v1/transfers": {
        "get": {
            "operationId": "listTransfers",
            "summary": "社会保险关系转移接续信息查询（LD/T 01 5.2.2 d、7.1.2），各环节及日期",
            "responses": {
                "200": {
                    "description": "转移接续记录，最新的在前",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["transfers"],
                                "properties": {
                                    "transfers": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": {
                                                "scheme": {"type": "string"},
                                                "scheme_label": {"type": "string"},
                                                "direction": {"type": "string", "enum": ["in", "out"]},
                                                "other_region": {"type": "string"},
                                                "applied_on": {"type": "string", "format": "date"},
                                                "current_stage": {"type": ["string", "null"]},
                                                "finished": {"type": "boolean"},
                                                "stages": _STEPS,
                                            },
                                        },
                                    }
                                },
                            }
                        }
                    },
                },
                **_REFUSED,
            },
        }
    },
}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
