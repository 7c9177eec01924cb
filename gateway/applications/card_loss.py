"""Reporting a lost social security card (社会保障卡挂失, LD/T 01 5.4.3 e): one use case for every channel.

Suspending a card stops its medical settlement and benefit payments, so it is a risky operation: the warning is
shown and confirmed first (LD/T 01 5.3.2). The back office suspends the card at once — never queued for later: if
the core system does not answer, the person is told to call 12333, whose agents suspend cards around the clock.
The report is traced in the operation trail (LD/T 01 6.3.2) and the person is told through the push platform
(LD/T 01 5.4.4 b), so a report made by someone else with the person's login does not go unnoticed.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy.orm import Session

import notify
from gateway import clock
from gateway.applications.card_status import CardView, mask_card_number, view_of
from gateway.backoffice.interface import BackOffice, BackOfficeRefused, BackOfficeUnavailable
from gateway.backoffice.models import CardStatus
from gateway.identity.models import EventKind
from gateway.identity.service import record_event
from gateway.problems import UserError

#: LD/T 01 5.3.2: what the person confirms before the card is suspended.
WARNING = (
    "挂失后社会保障卡立即停止使用：不能就医结算、不能领取待遇，金融账户同时暂停。"
    "找回卡片须本人持身份证到服务网点解除挂失；需要新卡请申请补换卡。"
)
NOT_CONFIRMED = "请阅读挂失提示，并确认“我已了解挂失的后果，确认挂失”后再挂失。"
CANNOT = "暂时无法在网上挂失，请立即拨打12333电话挂失（24小时服务）。"
_REFUSED_FOR = {
    CardStatus.LOST: "您的社会保障卡已经挂失，无需重复挂失。",
    CardStatus.MAKING: "您的新卡正在制作中，尚未启用，无需挂失；如旧卡丢失，请拨打12333。",
}


def report_lost(
    session: Session,
    backoffice: BackOffice,
    *,
    person_id: int,
    id_number: str,
    confirmed: bool,
    channel: str,
    ip: str | None,
    now: datetime,
) -> CardView:
    """Suspend the person's card as lost; answers the card's new status. Flushes; the boundary commits."""
    now = clock.utc(now)
    record = backoffice.find_person(id_number)
    if record is None:
        raise UserError("not_found", "没有查询到您的社会保障卡信息。", 404)
    if record.card_status is not CardStatus.ACTIVE:
        raise UserError("wrong_status", _REFUSED_FOR[record.card_status], 409)
    if not confirmed:
        raise UserError("risk_not_confirmed", NOT_CONFIRMED)
    try:
        # The core system first, outside our transaction: nothing is recorded here unless the card is suspended.
        backoffice.report_card_lost(id_number, record.card_number, clock.wall(now).date(), channel)
    except BackOfficeRefused as exc:
        raise UserError("card_loss_refused", CANNOT, 409) from exc
    except BackOfficeUnavailable as exc:  # down or under maintenance: the 12333 line takes it now
        raise UserError("core_unavailable", CANNOT, 503) from exc
    masked = mask_card_number(record.card_number)
    record_event(
        session,
        EventKind.OPERATION,
        person_id=person_id,
        method="card_reported_lost",
        channel=channel,
        ip=ip,
        detail=f"社会保障卡挂失（卡号 {masked}）",
        at=now,
    )
    notify.enqueue(
        session,
        person_id=person_id,
        kind=notify.MessageKind.ACCOUNT_CHANGE,
        template="core_write",
        params={"what": "社会保障卡挂失", "state": "已生效，卡片暂停使用。如非本人操作，请立即拨打12333。"},
        idempotency_key=f"card-lost:{person_id}:{clock.wall(now):%Y%m%d%H%M%S}",
        link="/services/card-status",
    )
    session.flush()
    return view_of(dataclasses.replace(record, card_status=CardStatus.LOST))
