"""``/api/v1/card`` and ``/api/v1/transfers`` (LD/T 01 5.4.3 b, e; 5.2.2 d): queries for every channel, each at the
assurance level its catalogue item declares (the gate reads it from the catalogue); and reporting the card lost
(``POST /api/v1/card/report-loss``, the use case :mod:`gateway.applications.card_loss`)."""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, List, Nested, String
from flask import request

from gateway import clock
from gateway.access.edge import current_actor
from gateway.access.needs import gate
from gateway.api.schemas import Input, Output, one_of
from gateway.applications import card_loss, card_status, transfers
from gateway.backoffice.models import CardStatus, Scheme, TransferDirection
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.problems import UserError
from gateway.request_db import get_session

bp = APIBlueprint("services", __name__, url_prefix="", tag="社保卡与转移接续")


class Stage(Output):
    label = String(required=True, metadata={"examples": ["转出地审核"]})
    done_on = String(required=True, allow_none=True, metadata={"format": "date"})
    state = String(required=True, validate=one_of(["已完成", "办理中", "未开始"]))


class StalePart(Output):
    """A part of the answer that is last known data, not live (issue 19; LD/T 01 6.4.5)."""

    part = String(required=True)
    as_of = String(required=True, metadata={"description": "信息获取时间（北京时间）"})
    message = String(required=True)


class Card(Output):
    holder = String(required=True, metadata={"description": "持卡人（已脱敏）"})
    number = String(required=True, metadata={"description": "卡号（已脱敏）", "examples": ["A1*****78"]})
    status = String(required=True, validate=one_of(CardStatus))
    status_label = String(required=True, metadata={"examples": ["制卡中"]})
    advice = String()
    branch = String(allow_none=True, metadata={"description": "领卡网点"})
    steps = List(Nested(Stage), required=True, metadata={"description": "制卡中时的各环节"})
    stale = List(Nested(StalePart), metadata={"description": "核心系统无法连接时：以下为最近一次查询到的信息"})
    loss_warning = String(
        allow_none=True,
        metadata={"description": "卡片正常时：挂失前须确认的风险提示（LD/T 01 5.3.2）；不能挂失时为 null"},
    )


class ReportLossBody(Input):
    confirm_risk = Boolean(
        load_default=False, metadata={"description": "已阅读挂失提示并确认挂失（必须为 true，LD/T 01 5.3.2）"}
    )


_LOST_EXAMPLE = {
    "holder": "张*",
    "number": "A1*****78",
    "status": "lost",
    "status_label": "挂失",
    "advice": card_status.ADVICE[CardStatus.LOST],
    "branch": None,
    "steps": [],
    "loss_warning": None,
}


class Transfer(Output):
    scheme = String(allow_none=True, validate=one_of(Scheme))
    scheme_label = String(allow_none=True)
    direction = String(allow_none=True, validate=one_of(TransferDirection))
    other_region = String(allow_none=True)
    applied_on = String(allow_none=True, metadata={"format": "date"})
    current_stage = String(allow_none=True)
    finished = Boolean()
    stages = List(Nested(Stage))


class Transfers(Output):
    transfers = List(Nested(Transfer), required=True)
    stale = List(Nested(StalePart), metadata={"description": "核心系统无法连接时：以下为最近一次查询到的信息"})


@bp.get("/card")
@gate(Operation.QUERY, item="card-status")
@bp.output(Card, description="卡片状态；制卡中时附制卡进度")
@bp.doc(
    summary="社会保障卡应用状态查询（LD/T 01 5.4.3 e），安全级别 2",
    operation_id="getCardStatus",
    responses={404: "经办系统中没有该人员"},
)
def card():
    """The caller's social security card: status, masked number, and the steps while a card is made."""
    record = get_backoffice().find_person(current_actor().subject.id_number)
    if record is None:
        raise UserError("not_found", "没有查询到您的社会保障卡信息。", 404)
    return _card_answer(card_status.view_of(record))


def _card_answer(view: card_status.CardView) -> dict:
    answer = card_status.card_json(view)
    answer["loss_warning"] = card_loss.WARNING if view.status is CardStatus.ACTIVE else None
    return answer


@bp.post("/card/report-loss")
@gate(Operation.APPLY, level=2)
@bp.input(ReportLossBody, example={"confirm_risk": True})
@bp.output(Card, description="已挂失：卡片的新状态", example=_LOST_EXAMPLE)
@bp.doc(
    summary="社会保障卡挂失（LD/T 01 5.4.3 e）：确认挂失提示后立即停用卡片；安全级别 2",
    operation_id="reportCardLost",
    responses={
        400: "未确认挂失提示",
        404: "经办系统中没有该人员",
        409: "卡片已挂失或在制作中，或经办系统拒绝挂失",
        503: "经办系统暂时不可用（请拨打 12333 挂失）",
    },
)
def report_loss(json_data: dict):
    """Suspend the caller's card as lost, through the one use case every channel calls."""
    actor = current_actor()
    view = card_loss.report_lost(
        get_session(),
        get_backoffice(),
        person_id=actor.subject_id,
        id_number=actor.subject.id_number,
        confirmed=json_data["confirm_risk"] is True,
        channel=actor.channel.value,
        ip=request.remote_addr,
        now=clock.now(),
    )
    return _card_answer(view)


@bp.get("/transfers")
@gate(Operation.QUERY, item="rights-transfers")
@bp.output(Transfers, description="转移接续记录，最新的在前")
@bp.doc(summary="社会保险关系转移接续信息查询（LD/T 01 5.2.2 d、7.1.2），各环节及日期", operation_id="listTransfers")
def transfer_list():
    """The caller's transfers (转移接续), newest first, each with its stages and their dates."""
    progress = transfers.for_person(get_backoffice(), current_actor().subject.id_number)
    return {"transfers": [transfers.progress_json(p) for p in progress]}
