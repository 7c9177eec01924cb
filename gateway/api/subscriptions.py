"""``/api/v1/subscriptions``: WeChat subscribe messages (订阅消息) for the mini-program.

WeChat sends a mini-program's subscribe message only to a user who accepted its template in
``wx.requestSubscribeMessage``, one message per one-off acceptance. So the mini-program asks right after a
booking (or an application) for the templates the gateway will use next — listed here from the push platform's
own templates (``notify/templates.yaml``), never copied into the client — and reports what the person accepted;
the dispatcher then sends only to that openid (``notify.wechat.claim_recipient``). The openid is proved by a fresh
``wx.login`` code, so an acceptance is recorded for the WeChat user who gave it, and only when that user's
mini-program login is bound to the person logged in."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from apiflask import APIBlueprint
from apiflask.fields import Dict, Integer, List, Nested, String
from flask import request

from gateway.access.edge import current_actor
from gateway.access.needs import gate, public
from gateway.api.schemas import Input, Output, Text, one_of
from gateway.channel_policy import Operation
from gateway.clients import get_clients
from gateway.identity.binding import bound_person
from gateway.identity.models import CredentialKind, EventKind
from gateway.identity.service import record_event
from gateway.identity.wechat_ids import WeChatApp, app_of, grant, seen
from gateway.problems import UserError
from gateway.request_db import get_session
from notify.kinds import MessageKind
from notify.rendering import load_templates

bp = APIBlueprint("subscriptions", __name__, url_prefix="/subscriptions", tag="订阅消息")
log = logging.getLogger("shebao.notify")

#: WeChat shows at most three templates in one ``wx.requestSubscribeMessage``.
MAX_PER_REQUEST = 3


@dataclass(frozen=True)
class Scene:
    key: str
    label: str
    #: The messages that come *after* the moment of asking (the booking confirmation is already on its way).
    kinds: tuple[MessageKind, ...]


SCENES = (
    Scene("appointment", "预约之后", (MessageKind.APPOINTMENT_REMINDER, MessageKind.APPOINTMENT_CANCELLED)),
    Scene("application", "申请之后", (MessageKind.APPLICATION_PROGRESS, MessageKind.APPLICATION_RESULT)),
)


def scene_templates(scene: Scene) -> list[dict]:
    """The WeChat template ids the push platform uses for the scene's kinds, in the order of the kinds."""
    out: dict[str, dict] = {}
    for kind in scene.kinds:
        for tpl in load_templates().templates.values():
            if tpl.kind is kind and tpl.wechat is not None and tpl.wechat.template_id not in out:
                out[tpl.wechat.template_id] = {
                    "template_id": tpl.wechat.template_id,
                    "kind": kind.value,
                    "label": kind.label,
                }
    return list(out.values())[:MAX_PER_REQUEST]


def known_template_ids() -> set[str]:
    return {t["template_id"] for scene in SCENES for t in scene_templates(scene)}


class TemplateOut(Output):
    template_id = String(required=True, metadata={"examples": ["TPL_APPOINTMENT_REMINDER"]})
    kind = String(required=True, validate=one_of(MessageKind))
    label = String(required=True, metadata={"examples": ["预约提醒"]})


class SceneOut(Output):
    scene = String(required=True, validate=one_of([s.key for s in SCENES]))
    label = String(required=True)
    templates = List(Nested(TemplateOut), required=True)


class SceneList(Output):
    scenes = List(Nested(SceneOut), required=True)


class Accepted(Input):
    code = Text(required=True, message="请提供 wx.login 登录凭证 code。")
    accepted = List(
        String(),
        required=True,
        metadata={"description": "用户点了“允许”的模板 ID（wx.requestSubscribeMessage 回答 accept 的）"},
    )


class Granted(Output):
    status = String(required=True, validate=one_of(["ok"]))
    remaining = Dict(keys=String(), values=Integer(), required=True, metadata={"description": "各模板还可发送的条数"})


@bp.get("/templates")
@public(Operation.QUERY)
@bp.output(
    SceneList,
    description="各场景请求订阅时使用的模板 ID",
    example={
        "scenes": [
            {
                "scene": "appointment",
                "label": "预约之后",
                "templates": [
                    {"template_id": "TPL_APPOINTMENT_REMINDER", "kind": "appointment_reminder", "label": "预约提醒"},
                    {"template_id": "TPL_APPOINTMENT_CANCELLED", "kind": "appointment_cancelled", "label": "预约取消"},
                ],
            }
        ]
    },
)
@bp.doc(summary="订阅消息模板 ID（预约、申请之后请求订阅时使用）", operation_id="listSubscribeTemplates")
def templates():
    return {"scenes": [{"scene": s.key, "label": s.label, "templates": scene_templates(s)} for s in SCENES]}


@bp.post("")
@gate(Operation.ACCOUNT, level=1)
@bp.input(Accepted, example={"code": "wx.login 返回的 code", "accepted": ["TPL_APPOINTMENT_REMINDER"]})
@bp.output(Granted, description="已记录", example={"status": "ok", "remaining": {"TPL_APPOINTMENT_REMINDER": 1}})
@bp.doc(
    summary="记录用户在小程序中同意接收的订阅消息",
    operation_id="recordSubscriptions",
    responses={400: "模板或登录凭证无效", 403: "该微信未绑定当前用户"},
)
def record(json_data: dict):
    """Prove the openid with a fresh ``wx.login`` code, check it is this person's mini-program login, and add
    one acceptance per accepted template."""
    from wechatpy.exceptions import WeChatClientException

    accepted = [t for t in json_data["accepted"] if isinstance(t, str)]
    unknown = set(accepted) - known_template_ids()
    if unknown or len(accepted) > MAX_PER_REQUEST:
        raise UserError("unknown_template", "订阅的消息模板不正确，请重新进入小程序后再试。", 400)
    try:
        session_info = get_clients().wechat.wxa.code_to_session(json_data["code"])
    except WeChatClientException as exc:
        log.info("code2session refused", extra={"fields": {"errcode": exc.errcode}})
        raise UserError("invalid_code", "登录凭证无效或已使用，请重新进入小程序。", 400) from exc
    openid = session_info["openid"]
    db = get_session()
    actor = current_actor()
    owner = bound_person(db, CredentialKind.WECHAT, openid)
    if owner is None or owner.id != actor.person.person_id:
        raise UserError("wechat_not_bound", "当前微信未绑定您的账号，不能为您订阅消息。", 403)
    seen(db, WeChatApp.MINIPROGRAM, openid, session_info.get("unionid"))
    if app_of(db, openid) is not WeChatApp.MINIPROGRAM:  # an openid never changes app; refuse a confused one
        raise UserError("wechat_not_bound", "当前微信未绑定您的账号，不能为您订阅消息。", 403)
    remaining = grant(db, openid, accepted)
    if accepted:
        record_event(
            db,
            EventKind.OPERATION,
            person_id=owner.id,
            channel=actor.channel.value,
            ip=request.remote_addr,
            detail="同意接收微信订阅消息：" + "、".join(sorted(accepted)),
        )
    return {"status": "ok", "remaining": remaining}
