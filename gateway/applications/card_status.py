"""Social security card status (社会保障卡应用状态查询, LD/T 01 5.4.3 e): a query, nothing changes state.

The back office holds the card's status and, for a card being made, the date of each step of making it.
The card number is shown masked (Regulation Art. 49): the first and last two characters only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gateway.backoffice.interface import PersonRecord
from gateway.backoffice.models import CardStatus
from gateway.validation import mask_name

#: What each status means for the holder, and what to do next.
ADVICE = {
    CardStatus.ACTIVE: "社会保障卡可正常使用（就医结算、待遇领取、身份凭证）。如卡片丢失，请立即挂失。",
    CardStatus.LOST: "社会保障卡已挂失，挂失期间卡片不能使用。找回卡片可到服务网点解挂；需要新卡请申请补换卡。",
    CardStatus.MAKING: "新卡正在制作中，制作完成后会发往领卡网点，届时请携带身份证到网点领卡并启用。",
}


@dataclass(frozen=True)
class CardStep:
    label: str
    done_on: date | None
    current: bool


@dataclass(frozen=True)
class CardView:
    """What the status page and the API show."""

    holder_masked: str
    number_masked: str
    status: CardStatus
    advice: str
    steps: tuple[CardStep, ...]  # only while a card is being made
    branch: str | None


def mask_card_number(number: str) -> str:
    """ "A12345678" → "A1*****78": enough to tell one's own card, not enough to use it."""
    number = number or ""
    if len(number) <= 4:
        return "*" * len(number)
    return number[:2] + "*" * (len(number) - 4) + number[-2:]


def _steps(record: PersonRecord) -> tuple[CardStep, ...]:
    dates = (
        ("申请受理", record.card_applied_on),
        ("制卡", record.card_made_on),
        ("发往领卡网点", record.card_sent_on),
        ("领卡启用", None),  # once collected and activated the status is 正常 and the steps are not shown
    )
    steps, current_given = [], False
    for label, on in dates:
        current = on is None and not current_given
        current_given = current_given or current
        steps.append(CardStep(label, on, current))
    return tuple(steps)


def view_of(record: PersonRecord) -> CardView:
    """The card's status for its holder."""
    making = record.card_status is CardStatus.MAKING
    return CardView(
        holder_masked=mask_name(record.name),
        number_masked=mask_card_number(record.card_number),
        status=record.card_status,
        advice=ADVICE[record.card_status],
        steps=_steps(record) if making else (),
        branch=record.card_branch if making else None,
    )


def card_json(view: CardView) -> dict:
    """The API form (``GET /api/v1/card``)."""
    return {
        "holder": view.holder_masked,
        "number": view.number_masked,
        "status": view.status.value,
        "status_label": view.status.label,
        "advice": view.advice,
        "branch": view.branch,
        "steps": [
            {
                "label": s.label,
                "done_on": s.done_on.isoformat() if s.done_on else None,
                "state": "已完成" if s.done_on else "办理中" if s.current else "未开始",
            }
            for s in view.steps
        ],
    }
