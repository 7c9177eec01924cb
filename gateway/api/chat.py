"""``/api/v1/chat``: live chat with 12333 agents for the mini-program and other channels (LD/T 01 5.5.2 b).

Anyone may open a conversation within service hours (with a bearer token, the person logged in; at level 2 or
above the agent may treat them as verified). Opening answers the conversation's ``token``, shown only then: every
later call sends it in ``X-Chat-Token``. The app polls ``GET …/conversations/{id}?since=<last message id>`` every
few seconds for its place in the queue and new replies; a waiting conversation nobody polls for three minutes
leaves the queue. Answers are never cached.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String
from flask import current_app

from gateway import clock
from gateway.access.edge import current_actor
from gateway.access.needs import public
from gateway.api.schemas import Input, Int, Output, one_of
from gateway.channel_policy import Operation
from gateway.chat import service
from gateway.chat.hours import ServiceHours
from gateway.chat.models import ChatStatus, Sender
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = APIBlueprint("chat", __name__, url_prefix="/chat", tag="在线人工咨询")

TOKEN_HEADER = "X-Chat-Token"
OPEN_LIMIT = "10 per hour; 30 per day"
SEND_LIMIT = "30 per minute"
POLL_LIMIT = "120 per minute"
NO_STORE = {"Cache-Control": "no-store"}
#: How the document states it (every answer here is personal or changing: never cached).
NO_STORE_DOC = {"Cache-Control": String(metadata={"description": "不得缓存", "enum": ["no-store"]})}


def _vault():
    return current_app.extensions["shebao_vault"]


def _hours() -> ServiceHours:
    return ServiceHours.parse(current_app.config["SETTINGS"].chat_hours)


class TokenHeader(Input):
    token = String(
        data_key=TOKEN_HEADER,
        load_default="",
        metadata={
            "description": "打开会话时返回的会话凭证（token），只在那时给出一次",
            "examples": ["q4Jx8mR2tV7cN1pL5sW9dF3hK6bZ0yAe"],
        },
    )


class OpenBody(Input):
    text = String(
        load_default=None,
        allow_none=True,
        metadata={"description": f"第一句咨询内容（选填），不超过{service.TEXT_MAX}字"},
    )


class MessageBody(Input):
    text = String(load_default="", metadata={"description": f"消息内容，不超过{service.TEXT_MAX}字"})


class Since(Input):
    since = Int(
        digits=True,
        load_default=0,
        minimum=0,
        maximum=2**31 - 1,
        code="invalid_since",
        message="since 应为消息编号（非负整数）。",
        metadata={"description": "只返回编号大于它的消息（上次收到的最后一条消息的编号）"},
    )


class HoursOut(Output):
    open = Boolean(required=True, metadata={"description": "现在是否在人工在线服务时间内"})
    hours = String(required=True, metadata={"description": "服务时间（北京时间）"})
    agent_online = Boolean(required=True, metadata={"description": "现在是否有坐席在线（设为在线且工作台打开）"})


class MessageOut(Output):
    id = Integer(required=True)
    at = String(required=True, metadata={"description": "发送时间（北京时间，ISO 8601）"})
    sender = String(required=True, validate=one_of(Sender))
    sender_label = String(required=True)
    text = String(required=True)


class StateOut(Output):
    id = Integer(required=True)
    number = String(required=True, metadata={"description": "会话编号"})
    status = String(required=True, validate=one_of(ChatStatus))
    status_label = String(required=True)
    position = Integer(
        required=True, allow_none=True, metadata={"description": "排队位置（1 为下一位）；接入后为 null"}
    )
    last_id = Integer(required=True, metadata={"description": "最后一条消息的编号，下次轮询作为 since"})
    agent_online = Boolean(
        required=True, allow_none=True, metadata={"description": "排队时：现在是否有坐席在线；接入后为 null"}
    )
    messages = List(Nested(MessageOut), required=True)


class OpenedOut(StateOut):
    token = String(required=True, metadata={"description": f"会话凭证：之后每次请求放在 {TOKEN_HEADER} 请求头中"})


_MESSAGE_EXAMPLE = {"id": 12, "at": "2026-12-07T10:31:00+08:00", "sender": "agent", "sender_label": "人工客服",
                    "text": "您好，请问有什么可以帮您？"}  # fmt: skip
_STATE_EXAMPLE = {"id": 3, "number": "LT20261207123456", "status": "active", "status_label": "人工服务中",
                  "position": None, "last_id": 12, "agent_online": None, "messages": [_MESSAGE_EXAMPLE]}  # fmt: skip
_OPENED_EXAMPLE = {**_STATE_EXAMPLE, "status": "waiting", "status_label": "排队中", "position": 2, "last_id": 10,
                   "agent_online": True,
                   "token": "q4Jx8mR2tV7cN1pL5sW9dF3hK6bZ0yAe", "messages": [
                       {**_MESSAGE_EXAMPLE, "id": 10, "sender": "system", "sender_label": "系统提示",
                        "text": "您已进入人工服务排队，坐席接入后会在这里回复您。"}]}  # fmt: skip

_SENT_EXAMPLE = {**_MESSAGE_EXAMPLE, "sender": "person", "sender_label": "我", "text": "我离职后多久可以申请？"}


def _message(m: service.MessageView) -> dict:
    return {"id": m.id, "at": clock.beijing(m.at).isoformat(), "sender": m.sender.value,
            "sender_label": m.sender.label, "text": m.text}  # fmt: skip


def _state(state: service.ChatState, token: str | None = None) -> dict:
    row = state.conversation
    answer = {
        "id": row.id,
        "number": row.number,
        "status": row.status.value,
        "status_label": row.status.label,
        "position": state.position,
        "last_id": state.last_id,
        "agent_online": state.agent_online,
        "messages": [_message(m) for m in state.messages],
    }
    if token is not None:
        answer["token"] = token
    return answer


@bp.get("/hours")
@public(Operation.QUERY)
@bp.output(
    HoursOut,
    description="服务时间",
    headers=NO_STORE_DOC,
    example={"open": True, "hours": "法定工作日 8:30—17:30（北京时间）", "agent_online": True},
)
@bp.doc(
    summary="人工在线服务时间、现在是否可以接入、是否有坐席在线；不在服务时间请改用在线留言", operation_id="chatHours"
)
def hours():
    found, now = _hours(), clock.now()
    online = service.agents_online(get_session(), now=now) > 0
    return {"open": found.is_open(now), "hours": found.label, "agent_online": online}, 200, NO_STORE


@bp.post("/conversations")
@public(Operation.QUERY)
@limiter.limit(OPEN_LIMIT)
@bp.input(OpenBody, example={"text": "失业金怎么申请？"})
@bp.output(
    OpenedOut,
    status_code=201,
    description="已进入排队：会话、凭证和排队位置",
    headers=NO_STORE_DOC,
    example=_OPENED_EXAMPLE,
)
@bp.doc(
    summary="转人工：发起在线人工咨询（LD/T 01 5.5.2 b）",
    operation_id="openChat",
    responses={400: "内容过长", 409: "不在人工在线服务时间内（outside_hours），请改用在线留言", 429: "发起过于频繁"},
)
def open_chat(json_data: dict):
    db, actor = get_session(), current_actor()
    row, token = service.open_chat(
        db, _vault(), actor, _hours(), channel=actor.channel.value, now=clock.now(), first=json_data.get("text")
    )
    return _state(service.poll(db, _vault(), row, now=clock.now()), token), 201, NO_STORE


@bp.get("/conversations/<int:conversation_id>")
@public(Operation.QUERY)
@limiter.limit(POLL_LIMIT)
@bp.input(TokenHeader, location="headers", arg_name="header_data")
@bp.input(Since, location="query")
@bp.output(StateOut, description="会话状态、排队位置和新消息", headers=NO_STORE_DOC, example=_STATE_EXAMPLE)
@bp.doc(
    summary="轮询会话：排队位置和 since 之后的新消息（建议每 3 秒一次）",
    operation_id="pollChat",
    responses={404: "会话不存在或会话凭证不正确", 429: "轮询过于频繁"},
)
def poll_chat(conversation_id: int, header_data: dict, query_data: dict):
    db = get_session()
    row = service.find(db, _vault(), conversation_id, header_data["token"])
    return _state(service.poll(db, _vault(), row, query_data["since"], now=clock.now())), 200, NO_STORE


@bp.post("/conversations/<int:conversation_id>/messages")
@public(Operation.QUERY)
@limiter.limit(SEND_LIMIT)
@bp.input(TokenHeader, location="headers", arg_name="header_data")
@bp.input(MessageBody, example={"text": "我离职后多久可以申请？"})
@bp.output(MessageOut, status_code=201, description="已发送", headers=NO_STORE_DOC, example=_SENT_EXAMPLE)
@bp.doc(
    summary="在会话中发送一条消息",
    operation_id="postChatMessage",
    responses={400: "内容为空或过长", 404: "会话不存在或会话凭证不正确", 409: "会话已结束", 429: "发送过于频繁"},
)
def post_message(conversation_id: int, header_data: dict, json_data: dict):
    db = get_session()
    row = service.find(db, _vault(), conversation_id, header_data["token"])
    sent = service.post(db, _vault(), row, json_data.get("text") or "", now=clock.now())
    return _message(sent), 201, NO_STORE


@bp.post("/conversations/<int:conversation_id>/close")
@public(Operation.QUERY)
@bp.input(TokenHeader, location="headers", arg_name="header_data")
@bp.output(
    StateOut,
    description="会话已结束",
    headers=NO_STORE_DOC,
    example={**_STATE_EXAMPLE, "status": "closed", "status_label": "已结束"},
)
@bp.doc(
    summary="结束会话（对话记录由经办机构保存）",
    operation_id="closeChat",
    responses={404: "会话不存在或会话凭证不正确"},
)
def close_chat(conversation_id: int, header_data: dict):
    db = get_session()
    row = service.find(db, _vault(), conversation_id, header_data["token"])
    row = service.close_by_person(db, _vault(), row, now=clock.now())
    return _state(service.poll(db, _vault(), row, now=clock.now())), 200, NO_STORE
