"""The mailbox (留言信箱, LD/T 01 5.5.1, 5.5.3, 5.5.5): consultations, suggestions, complaints and reports, each with
a tracking number, a query code and a time limit in working days; staff reply, ask for more, contact the
complainant and close; the person is told through ``notify`` at each step; general answers can be published."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from gateway import clock
from gateway.actor import Actor, audit
from gateway.config import CONSULT_DAYS, Settings
from gateway.consult.ledger import mask_numbers
from gateway.consult.models import CaseEvent, CaseKind, CaseStatus, ConsultCase, EventKind, Topic
from gateway.problems import UserError
from gateway.security.pii import PiiVault, Purpose
from gateway.staff.models import AuditAction
from gateway.validation import ValidationError, mask_phone, normalize_phone
from gateway.workdays import DueDate, add_working_days
from notify import MessageKind, enqueue
from notify.rendering import sms_length

#: Working days to answer, per kind, by default (LD/T 01 5.5.3 "在规定的工作日内答复"; complaints: Regulation
#: Art. 51–52 — reviewed within 5 and the complainant told within 10 working days). The operator sets them with
#: SHEBAO_CONSULT_DAYS_<KIND> (gateway/config.py, checked at start-up); :func:`time_limits` reads them.
TIME_LIMITS: Mapping[CaseKind, int] = {CaseKind(kind): days for kind, days in CONSULT_DAYS.items()}
SUBJECT_MAX = 40
BODY_MAX = 1000
REPLY_MAX = 1000
#: The beginning of what staff wrote that an SMS carries (the inbox message has all of it).
SMS_BRIEF = 40
#: One answer for an unknown number and a wrong code: no way to probe which numbers exist.
NOT_FOUND = "没有找到该留言，请核对留言编号和查询码。"


class MailboxRefused(UserError):
    """A mailbox request that cannot be done, with a Chinese message."""


@dataclass(frozen=True)
class Submission:
    """What a person writes, checked by :func:`check_submission`."""

    kind: CaseKind
    topic: Topic
    subject: str
    body: str
    phone: str | None
    allow_public: bool


@dataclass(frozen=True)
class EventView:
    kind: EventKind
    at: datetime
    text: str
    by_staff: bool


@dataclass(frozen=True)
class CaseView:
    """A case decrypted for the person or the staff member allowed to see it."""

    case: ConsultCase
    subject: str
    body: str
    contact_masked: str
    outcome: str
    events: tuple[EventView, ...]

    @property
    def overdue(self) -> bool:
        return self.case.status is not CaseStatus.CLOSED and self.case.due_date < clock.today()


def check_submission(form: dict[str, str]) -> tuple[Submission | None, list[tuple[str, str]]]:
    """The submission, or the fields' Chinese errors (all of them at once)."""
    errors: list[tuple[str, str]] = []
    kind = topic = None
    try:
        kind = CaseKind(form.get("kind", ""))
    except ValueError:
        errors.append(("kind", "请选择留言类型。"))
    try:
        topic = Topic(form.get("topic", ""))
    except ValueError:
        errors.append(("topic", "请选择留言涉及的业务。"))
    subject = " ".join((form.get("subject") or "").split())
    if not subject:
        errors.append(("subject", "请填写标题。"))
    elif len(subject) > SUBJECT_MAX:
        errors.append(("subject", f"标题不能超过{SUBJECT_MAX}个字。"))
    body = (form.get("body") or "").strip()
    if not body:
        errors.append(("body", "请填写留言内容。"))
    elif len(body) > BODY_MAX:
        errors.append(("body", f"留言内容不能超过{BODY_MAX}个字。"))
    phone = None
    if (form.get("phone") or "").strip():
        try:
            phone = normalize_phone(form.get("phone"))
        except ValidationError as exc:
            errors.append(("phone", exc.message))
    if errors:
        return None, errors
    allow = str(form.get("allow_public", "")).lower() in ("yes", "true", "1", "on")
    return Submission(kind, topic, subject, body, phone, allow), []


def time_limits(settings: Settings) -> dict[CaseKind, int]:
    """The operator's time limits per kind (SHEBAO_CONSULT_DAYS_<KIND>, validated when the settings load)."""
    return {kind: settings.consult_days.get(kind.value, TIME_LIMITS[kind]) for kind in CaseKind}


def due_date(kind: CaseKind, received: date, limits: Mapping[CaseKind, int] = TIME_LIMITS) -> DueDate:
    """The last day to answer a case of ``kind`` received on ``received`` (the day of receipt does not count)."""
    return add_working_days(received, limits[kind])


def _number(now: datetime) -> str:
    return f"ZX{clock.beijing(now):%Y%m%d}{secrets.randbelow(10**6):06d}"


def submit(
    session: Session,
    vault: PiiVault,
    form: Submission,
    *,
    person_id: int | None,
    now: datetime,
    limits: Mapping[CaseKind, int] = TIME_LIMITS,
) -> tuple[ConsultCase, str]:
    """File a case with the time limit ``limits`` give its kind; returns it and its query code (shown once, kept
    only as a keyed hash). Flushes."""
    now = clock.utc(now)
    due = due_date(form.kind, clock.beijing(now).date(), limits)
    code = f"{secrets.randbelow(10**6):06d}"
    number = _number(now)
    while session.scalar(select(ConsultCase.id).where(ConsultCase.number == number)) is not None:
        number = _number(now)
    row = ConsultCase(
        number=number,
        kind=form.kind,
        topic=form.topic,
        department=form.topic.department,
        status=CaseStatus.OPEN,
        subject_enc=vault.encrypt(form.subject, Purpose.CASE_SUBJECT, number),
        body_enc=vault.encrypt(form.body, Purpose.CASE_BODY, number),
        contact_enc=vault.encrypt(form.phone, Purpose.CASE_CONTACT, number) if form.phone else None,
        person_id=person_id,
        code_digest=vault.digest(f"{number}:{code}"),
        allow_public=form.allow_public,
        created_at=now,
        due_date=due.date,
        due_provisional=due.provisional,
        limit_days=limits[form.kind],
    )
    session.add(row)
    session.flush()
    session.add(CaseEvent(case_id=row.id, at=now, kind=EventKind.SUBMITTED, text_enc=""))
    session.flush()
    return row, code


def find_by_tracking(session: Session, vault: PiiVault, number: str, code: str) -> ConsultCase:
    """The case named by its tracking number and query code (how an anonymous writer follows it)."""
    number, code = (number or "").strip().upper(), (code or "").strip()
    row = session.scalar(select(ConsultCase).where(ConsultCase.number == number))
    # Under the current secret or one it replaced: the code was hashed when the case was filed.
    if row is None or not any([secrets.compare_digest(row.code_digest, d) for d in vault.digests(f"{number}:{code}")]):
        raise MailboxRefused("case_not_found", NOT_FOUND, 404)
    return row


def find_own(session: Session, number: str, person_id: int) -> ConsultCase:
    """A case the logged-in person wrote."""
    row = session.scalar(select(ConsultCase).where(ConsultCase.number == number, ConsultCase.person_id == person_id))
    if row is None:
        raise MailboxRefused("case_not_found", NOT_FOUND, 404)
    return row


def my_cases(session: Session, person_id: int) -> list[ConsultCase]:
    return list(
        session.scalars(
            select(ConsultCase).where(ConsultCase.person_id == person_id).order_by(ConsultCase.created_at.desc())
        )
    )


def view(vault: PiiVault, row: ConsultCase) -> CaseView:
    """Decrypt a case for display (the contact phone stays masked)."""
    events = tuple(
        EventView(
            e.kind,
            e.at,
            vault.decrypt(e.text_enc, Purpose.CASE_EVENT_TEXT, str(row.id)) if e.text_enc else "",
            e.staff_id is not None,
        )
        for e in row.events
    )
    if row.purged_at is not None:  # what was written is gone (retention): the steps and dates remain
        return CaseView(
            case=row,
            subject=PURGED,
            body=PURGED,
            contact_masked="",
            outcome="",
            events=tuple(EventView(e.kind, e.at, "", e.staff_id is not None) for e in row.events),
        )
    return CaseView(
        case=row,
        subject=vault.decrypt(row.subject_enc, Purpose.CASE_SUBJECT, row.number),
        body=vault.decrypt(row.body_enc, Purpose.CASE_BODY, row.number),
        contact_masked=mask_phone(vault.decrypt(row.contact_enc, Purpose.CASE_CONTACT, row.number))
        if row.contact_enc
        else "",
        outcome=vault.decrypt(row.outcome_enc, Purpose.CASE_OUTCOME, row.number) if row.outcome_enc else "",
        events=events,
    )


def queue(session: Session, department: str | None, *, include_closed: bool = False) -> list[ConsultCase]:
    """A department's cases (all when ``None``), overdue and soonest due first."""
    stmt = select(ConsultCase)
    if department:
        stmt = stmt.where(ConsultCase.department == department)
    if not include_closed:
        stmt = stmt.where(ConsultCase.status != CaseStatus.CLOSED)
    waiting = case((ConsultCase.status == CaseStatus.AWAITING_INFO, 1), else_=0)
    return list(session.scalars(stmt.order_by(waiting, ConsultCase.due_date, ConsultCase.id)))


def departments() -> list[str]:
    return list(dict.fromkeys(t.department for t in Topic))


def staff_case(session: Session, case_id: int) -> ConsultCase:
    row = session.get(ConsultCase, case_id)
    if row is None:
        raise MailboxRefused("case_not_found", "没有找到该留言。", 404)
    return row


def _text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise MailboxRefused("empty_text", f"请填写{what}。", 400)
    if len(text) > REPLY_MAX:
        raise MailboxRefused("text_too_long", f"{what}不能超过{REPLY_MAX}个字。", 400)
    return text


def _fit(text: str, most: int) -> str:
    """``text`` cut to ``most`` characters as SMS counts them, ending in "…" when cut."""
    if sms_length(text) <= most:
        return text
    while sms_length(text) > most - 1:
        text = text[:-1]
    return text + "…"


def message_text(text: str) -> tuple[str, str]:
    """What staff wrote, as the writer's messages carry it: on one line, runs of 7+ digits (ID, phone, bank card
    numbers) masked, braces made full-width; whole for the inbox, its beginning for the SMS (``SMS_BRIEF``)."""
    line = mask_numbers(" ".join(text.split())).replace("{", "｛").replace("}", "｝")
    return _fit(line, REPLY_MAX), _fit(line, SMS_BRIEF)


def _tell(session: Session, row: ConsultCase, step: str, text: str, event_id: int) -> None:
    """Tell the writer through notify what staff wrote (LD/T 01 5.5.3); an anonymous writer follows with the
    number and code."""
    if row.person_id is None:
        return
    full, brief = message_text(text)
    enqueue(
        session,
        person_id=row.person_id,
        kind=MessageKind.CONSULT_UPDATE,
        template="consult_update",
        params={"kind": row.kind.label, "number": row.number, "step": step, "text": full, "brief": brief},
        idempotency_key=f"consult-{row.id}-event-{event_id}",
    )


def _step(session: Session, vault: PiiVault, actor: Actor, row: ConsultCase, kind: EventKind, text: str, now: datetime):
    event = CaseEvent(
        case_id=row.id,
        at=clock.utc(now),
        kind=kind,
        text_enc=vault.encrypt(text, Purpose.CASE_EVENT_TEXT, str(row.id)),
        staff_id=actor.staff_id,
    )
    session.add(event)
    session.flush()
    audit(
        session,
        actor,
        AuditAction.CONSULT_HANDLED,
        person_id=row.person_id,
        detail=f"留言 {row.number}：{kind.label}",
    )
    return event


def _open(row: ConsultCase) -> None:
    if row.status is CaseStatus.CLOSED:
        raise MailboxRefused("case_closed", "该留言已办结。", 409)


def reply(session: Session, vault: PiiVault, actor: Actor, case_id: int, text: str, *, now: datetime) -> ConsultCase:
    """Answer the case (LD/T 01 5.5.3) and tell the writer. Flushes."""
    row = staff_case(session, case_id)
    _open(row)
    text = _text(text, "答复内容")
    event = _step(session, vault, actor, row, EventKind.REPLIED, text, now)
    row.status = CaseStatus.REPLIED
    _tell(session, row, "已答复", text, event.id)
    session.flush()
    return row


def request_info(session: Session, vault: PiiVault, actor: Actor, case_id: int, text: str, *, now: datetime):
    """Ask the writer for more; the clock is theirs until they answer. Flushes."""
    row = staff_case(session, case_id)
    _open(row)
    text = _text(text, "需补充的内容")
    event = _step(session, vault, actor, row, EventKind.INFO_REQUESTED, text, now)
    row.status = CaseStatus.AWAITING_INFO
    _tell(session, row, "请补充材料或说明", text, event.id)
    session.flush()
    return row


def add_info(session: Session, vault: PiiVault, row: ConsultCase, text: str, *, now: datetime) -> ConsultCase:
    """The writer answers a request for more information. Flushes."""
    if row.status is not CaseStatus.AWAITING_INFO:
        raise MailboxRefused("not_awaiting", "该留言目前不需要补充。", 409)
    session.add(
        CaseEvent(
            case_id=row.id,
            at=clock.utc(now),
            kind=EventKind.INFO_ADDED,
            text_enc=vault.encrypt(_text(text, "补充说明"), Purpose.CASE_EVENT_TEXT, str(row.id)),
        )
    )
    row.status = CaseStatus.OPEN
    session.flush()
    return row


def record_contact(session: Session, vault: PiiVault, actor: Actor, case_id: int, text: str, *, now: datetime):
    """Record the contact made with a complainant (LD/T 01 5.5.5). Flushes."""
    row = staff_case(session, case_id)
    _open(row)
    if row.kind is not CaseKind.COMPLAINT:
        raise MailboxRefused("not_a_complaint", "只有投诉需要记录联系投诉人的情况。", 400)
    _step(session, vault, actor, row, EventKind.CONTACTED, _text(text, "联系情况"), now)
    return row


def close(session: Session, vault: PiiVault, actor: Actor, case_id: int, outcome: str, *, now: datetime):
    """Close the case with its outcome, reported to the writer (LD/T 01 5.5.5). A complaint closes only after the
    complainant was contacted. Flushes."""
    row = staff_case(session, case_id)
    _open(row)
    text = _text(outcome, "办理结果")
    if row.kind is CaseKind.COMPLAINT and not any(e.kind is EventKind.CONTACTED for e in row.events):
        raise MailboxRefused("contact_first", "投诉办结前须先联系投诉人并记录联系情况。", 409)
    event = _step(session, vault, actor, row, EventKind.CLOSED, text, now)
    row.status = CaseStatus.CLOSED
    row.closed_at = clock.utc(now)
    row.outcome_enc = vault.encrypt(text, Purpose.CASE_OUTCOME, row.number)
    _tell(session, row, "已办结", text, event.id)
    session.flush()
    return row


def publish(
    session: Session, vault: PiiVault, actor: Actor, case_id: int, question: str, answer: str, *, now: datetime
) -> ConsultCase:
    """Publish a general question and its answer, as staff rewrote them without personal data (LD/T 01 5.5.3)."""
    row = staff_case(session, case_id)
    if not row.allow_public:
        raise MailboxRefused("not_public", "留言人未同意公开答复。", 409)
    if row.kind not in (CaseKind.CONSULTATION, CaseKind.SUGGESTION):
        raise MailboxRefused("not_public", "投诉和举报不公开。", 409)
    row.public_question = _text(question, "公开的问题")[:200]
    row.public_answer = _text(answer, "公开的答复")
    row.published_at = clock.utc(now)
    _step(session, vault, actor, row, EventKind.PUBLISHED, "", now)
    return row


def public_answers(session: Session, limit: int = 50) -> list[ConsultCase]:
    """Published answers, newest first."""
    return list(
        session.scalars(
            select(ConsultCase)
            .where(ConsultCase.published_at.is_not(None))
            .order_by(ConsultCase.published_at.desc())
            .limit(limit)
        )
    )


#: What a case whose content the retention rule cleared shows instead of it.
PURGED = "（已超过保存期限，留言内容已清除）"


def purge_closed(session: Session, closed_before: datetime, *, now: datetime) -> int:
    """Clear the personal content of cases closed before ``closed_before``: what the person wrote (subject, body,
    phone), every step's text and the outcome, and the link to their account. The number, kind, topic,
    department, dates, time limit, status and the published general answer (staff removed personal data from it
    before publishing, LD/T 01 5.5.3) stay: the statistics and the tracking number keep working. Returns how many
    cases were cleared. Flushes."""
    cases = list(
        session.scalars(
            select(ConsultCase).where(
                ConsultCase.status == CaseStatus.CLOSED,
                ConsultCase.closed_at < clock.utc(closed_before),
                ConsultCase.purged_at.is_(None),
            )
        )
    )
    ids = [c.id for c in cases]
    for start in range(0, len(ids), 500):
        session.execute(
            update(CaseEvent)
            .where(CaseEvent.case_id.in_(ids[start : start + 500]))
            .values(text_enc="")
            .execution_options(synchronize_session=False)
        )
    for row in cases:
        row.subject_enc = row.body_enc = ""
        row.contact_enc = row.outcome_enc = None
        row.person_id = None
        row.purged_at = clock.utc(now)
    session.flush()
    return len(cases)
