"""好差评 (LD/T 01 7: service evaluation): a person rates a finished service once — completeness, ease of use,
timeliness and satisfaction on the national five-level scale — with an optional comment, on any channel; a rating
of 不满意 or worse opens a follow-up for staff with a deadline, and the person is told its outcome. The monthly
figures published on the platform are computed here from the real records (catalog, applications, ratings),
never typed in (LD/T 01 7; Regulation Art. 50: public supervision)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import notify
from esign.codes import DocumentKind
from esign.service import CertificateService
from gateway import clock
from gateway.actor import Actor, audit
from gateway.applications.models import Application, ApplicationStatus
from gateway.appointments.models import Booking, BookingStatus, Hall, Slot
from gateway.catalog import Channel, HandlingKind, load_catalog
from gateway.catalog.model import AGENCY_COMMITMENT, UnknownItem
from gateway.certificates import service as certificates_service
from gateway.chat.models import ChatConversation, ChatStatus
from gateway.consult.models import CaseStatus, ConsultCase
from gateway.identity.service import record_operation
from gateway.problems import UserError
from gateway.public_info.models import (
    Evaluation,
    EvaluationSubject,
    FollowUp,
    FollowUpStatus,
    Rating,
)
from gateway.staff.models import AuditAction
from gateway.workdays import WorkCalendar, add_working_days

#: The follow-up of a bad rating is done within this many working days (an agency commitment, not a statute).
FOLLOW_UP_DAYS = 10
FOLLOW_UP_BASIS = f"{AGENCY_COMMITMENT}：差评 {FOLLOW_UP_DAYS} 个工作日内回访"
COMMENT_MAX = 300
OUTCOME_MAX = 100
#: The four questions of LD/T 01 7, in the order they are asked.
DIMENSIONS = (
    ("completeness", "服务事项是否齐全、办事指南是否完整准确"),
    ("ease", "办理是否方便、操作是否简便"),
    ("timeliness", "是否在承诺时限内办结、答复是否及时"),
    ("satisfaction", "对本次服务的总体评价"),
)
#: The catalog item a downloaded certificate is the result of (LD/T 01 5.4.2.3).
CERTIFICATE_ITEMS = {
    DocumentKind.PERSON_PROOF: "cert-insurance-proof",
    DocumentKind.CONTRIBUTION_RECORD: "cert-contribution-record",
    DocumentKind.BENEFIT_PAYMENTS: "cert-benefit-details",
}
#: Services rated in the figures that are not catalog items: asking the agency (LD/T 01 5.5), by mailbox or chat.
#: They take these keys in the place of an item id, so the figures list them next to the items.
CONSULT_SERVICES = {
    EvaluationSubject.CONSULTATION: ("consult-mailbox", "网上信箱留言（咨询、建议、投诉、举报）"),
    EvaluationSubject.CHAT: ("consult-chat", "在线人工咨询"),
}
_CONSULT_NAMES = dict(CONSULT_SERVICES.values())


def service_name(item_id: str) -> str:
    """The Chinese name of what a rating is about: the catalog item's, or the consultation service's."""
    if item_id in _CONSULT_NAMES:
        return _CONSULT_NAMES[item_id]
    try:
        return load_catalog().get(item_id).name
    except UnknownItem:  # an item since withdrawn from the catalog: its id is all the records keep
        return item_id


class EvaluationRefused(UserError):
    """A rating or a follow-up step that cannot be done, with the reason for the person or staff member."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(code, message, status)


@dataclass(frozen=True)
class RatedService:
    """What a rating is about: the service's item, hall and channel, as the records say."""

    subject: EvaluationSubject
    ref: str
    item_id: str
    item_name: str
    hall_id: int | None
    channel: str
    #: How the rating form names the service to the person (a certificate by its kind and issue date, not its id).
    title: str = ""


def parse_scores(raw: dict[str, object]) -> tuple[dict[str, Rating], list[tuple[str, str]]]:
    """The four ratings from form or JSON values ("1"…"5"), and a problem per missing or bad one (all at once)."""
    scores: dict[str, Rating] = {}
    problems: list[tuple[str, str]] = []
    for field, question in DIMENSIONS:
        value = raw.get(field)
        text = str(value).strip() if value is not None else ""
        if text.isascii() and text.isdigit() and 1 <= int(text) <= 5:
            scores[field] = Rating(int(text))
        else:
            problems.append((field, f"请为“{question}”选择一项评价。"))
    return scores, problems


def rated_service(session: Session, person_id: int, subject: EvaluationSubject, ref: str) -> RatedService:
    """The person's own finished service named by ``ref``; anything else is refused (not rateable, not theirs)."""
    ref = (ref or "").strip().upper()[:20]
    if subject is EvaluationSubject.CERTIFICATE:  # found through the sealer: see rated_certificate
        raise EvaluationRefused("not_found", "没有找到您的这项服务。", 404)
    if subject in CONSULT_SERVICES:  # on the channel it is rated on: see rated_consultation
        raise EvaluationRefused("not_found", "没有找到您的这项服务。", 404)
    catalog = load_catalog()
    if subject is EvaluationSubject.APPLICATION:
        app = session.scalar(select(Application).where(Application.number == ref))
        if app is None or app.person_id != person_id:
            raise EvaluationRefused("not_found", "没有找到您的这项服务。", 404)
        if not app.status.closed:
            raise EvaluationRefused("not_finished", "申请办结后才能评价。")
        return RatedService(subject, ref, app.item_id, app.item_name, None, app.channel)
    booking = session.scalar(select(Booking).where(Booking.code == ref))
    if booking is None or booking.person_id != person_id:
        raise EvaluationRefused("not_found", "没有找到您的这项服务。", 404)
    if booking.status is not BookingStatus.CHECKED_IN:
        raise EvaluationRefused("not_finished", "到窗口签到办理后才能评价该预约。")
    slot = session.get(Slot, booking.slot_id)
    return RatedService(subject, ref, booking.item_id, catalog.get(booking.item_id).name, slot.hall_id, booking.channel)


def rated_certificate(
    session: Session, actor: Actor, ref: str, certificates: CertificateService | None
) -> RatedService:
    """A certificate issued to the person the actor acts for, named by its id: rateable once it was downloaded
    (whatever became of it since). Its channel is the one the rating is given on: a download is rated on the
    page it was made from, and the issued record keeps no channel of its own."""
    ref = (ref or "").strip()[:20]
    if certificates is None or not (ref.isascii() and ref.isdigit()):
        raise EvaluationRefused("not_found", "没有找到您的这项服务。", 404)
    issued = certificates_service.issued_to(session, actor, sealer=certificates)
    record = next((r for r in issued if r.id == int(ref)), None)
    if record is None or record.kind not in CERTIFICATE_ITEMS:
        raise EvaluationRefused("not_found", "没有找到您的这项服务。", 404)
    item = load_catalog().get(CERTIFICATE_ITEMS[record.kind])
    # issued_on is the agency's (Beijing) date of issue already, not an instant.
    title = f"{record.kind.label}（{record.issued_on:%Y年%m月%d日}出具）"
    return RatedService(
        EvaluationSubject.CERTIFICATE, str(record.id), item.id, item.name, None, actor.channel.value, title
    )


def rated_consultation(session: Session, actor: Actor, subject: EvaluationSubject, ref: str) -> RatedService:
    """The person's own closed mailbox case, or own live chat that an agent served and that has ended, by number.
    An anonymous case or chat cannot be rated: a rating belongs to a person (one per service, with a follow-up
    they are told about). A mailbox case keeps no channel of its own, so it counts on the channel it is rated on;
    a chat keeps the channel it was opened on."""
    ref = (ref or "").strip().upper()[:20]
    person_id = actor.subject_id
    item_id, name = CONSULT_SERVICES[subject]
    if subject is EvaluationSubject.CONSULTATION:
        case = session.scalar(select(ConsultCase).where(ConsultCase.number == ref))
        if case is None or case.person_id is None or case.person_id != person_id:
            raise EvaluationRefused("not_found", "没有找到您的这项服务。", 404)
        if case.status is not CaseStatus.CLOSED:
            raise EvaluationRefused("not_finished", "留言办结后才能评价。")
        return RatedService(subject, ref, item_id, name, None, actor.channel.value)
    chat = session.scalar(select(ChatConversation).where(ChatConversation.number == ref))
    if chat is None or person_id is None or person_id not in (chat.person_id, chat.verified_person_id):
        raise EvaluationRefused("not_found", "没有找到您的这项服务。", 404)
    if chat.status is not ChatStatus.CLOSED or chat.taken_at is None:
        # A chat nobody took (left in the queue) was no service to rate; an open one is not finished yet.
        raise EvaluationRefused("not_finished", "人工客服接入并结束会话后才能评价。")
    return RatedService(subject, ref, item_id, name, None, chat.channel)


@dataclass(frozen=True)
class RateableConsultation:
    """One of the person's finished consultations (a closed mailbox case or a chat an agent served), with the
    rating they gave it and its follow-up, if any: what a channel lists for the person to rate."""

    subject: EvaluationSubject
    ref: str
    title: str
    finished_at: datetime
    evaluation: Evaluation | None
    follow_up: FollowUp | None


def finished_consultations(session: Session, actor: Actor, limit: int = 20) -> list[RateableConsultation]:
    """The person's newest finished mailbox cases and served chats, newest first, each with its rating state
    (four queries for the whole list). Anonymous ones are not theirs to rate (see rated_consultation)."""
    person_id = actor.subject_id
    if person_id is None:
        raise EvaluationRefused("login_required", "请先登录。", 401)
    cases = session.scalars(
        select(ConsultCase)
        .where(ConsultCase.person_id == person_id, ConsultCase.status == CaseStatus.CLOSED)
        .order_by(ConsultCase.closed_at.desc())
        .limit(limit)
    )
    chats = session.scalars(
        select(ChatConversation)
        .where(
            (ChatConversation.person_id == person_id) | (ChatConversation.verified_person_id == person_id),
            ChatConversation.status == ChatStatus.CLOSED,
            ChatConversation.taken_at.is_not(None),
        )
        .order_by(ChatConversation.closed_at.desc())
        .limit(limit)
    )
    found = [(EvaluationSubject.CONSULTATION, c.number, f"{c.kind.label} {c.number}", c.closed_at) for c in cases]
    found += [(EvaluationSubject.CHAT, c.number, f"在线人工咨询 {c.number}", c.closed_at) for c in chats]
    found.sort(key=lambda f: f[3], reverse=True)
    found = found[:limit]
    rated = {
        subject: {
            ref: e
            for ref, e in evaluations_of(session, subject, [f[1] for f in found if f[0] is subject]).items()
            if e.person_id == person_id
        }
        for subject in CONSULT_SERVICES
    }
    follow_ups = follow_ups_of(session, [e.id for by_ref in rated.values() for e in by_ref.values()])
    answer = []
    for subject, ref, title, at in found:
        evaluation = rated[subject].get(ref)
        follow_up = follow_ups.get(evaluation.id) if evaluation is not None else None
        answer.append(RateableConsultation(subject, ref, title, at, evaluation, follow_up))
    return answer


def service_title(
    session: Session, actor: Actor, subject: EvaluationSubject, ref: str, certificates: CertificateService | None
) -> str:
    """How the rating form names the service: a certificate by its kind's title and its issue date (its id means
    nothing to a person), anything else by its kind and number (the number the person was given)."""
    if subject is EvaluationSubject.CERTIFICATE:
        try:
            return rated_certificate(session, actor, ref, certificates).title
        except EvaluationRefused:
            return subject.label
    return f"{subject.label} {(ref or '').strip().upper()[:20]}"


def evaluation_of(session: Session, subject: EvaluationSubject, ref: str) -> Evaluation | None:
    return session.scalar(
        select(Evaluation).where(Evaluation.subject == subject, Evaluation.subject_ref == ref.strip().upper())
    )


def evaluations_of(session: Session, subject: EvaluationSubject, refs: Iterable[str]) -> dict[str, Evaluation]:
    """The ratings of several services of one kind at once, by ref (one query for a whole list)."""
    wanted = [r.strip().upper() for r in refs]
    if not wanted:
        return {}
    found = session.scalars(select(Evaluation).where(Evaluation.subject == subject, Evaluation.subject_ref.in_(wanted)))
    return {e.subject_ref: e for e in found}


def follow_up_of(session: Session, evaluation_id: int) -> FollowUp | None:
    return session.scalar(select(FollowUp).where(FollowUp.evaluation_id == evaluation_id))


def follow_ups_of(session: Session, evaluation_ids: Iterable[int]) -> dict[int, FollowUp]:
    """The follow-ups of several ratings at once, by rating id (one query for a whole list)."""
    wanted = list(evaluation_ids)
    if not wanted:
        return {}
    return {f.evaluation_id: f for f in session.scalars(select(FollowUp).where(FollowUp.evaluation_id.in_(wanted)))}


def rate(
    session: Session,
    actor: Actor,
    subject: EvaluationSubject,
    ref: str,
    scores: dict[str, Rating],
    comment: str = "",
    *,
    calendar: WorkCalendar | None = None,
    certificates: CertificateService | None = None,
) -> Evaluation:
    """Record the actor's one rating of their finished service; a bad one opens a follow-up. Does not commit.
    A certificate's rating needs ``certificates`` (the sealer) to find the person's own certificates."""
    person_id = actor.subject_id
    if person_id is None:
        raise EvaluationRefused("login_required", "请先登录。", 401)
    if subject is EvaluationSubject.CERTIFICATE:
        service = rated_certificate(session, actor, ref, certificates)
    elif subject in CONSULT_SERVICES:
        service = rated_consultation(session, actor, subject, ref)
    else:
        service = rated_service(session, person_id, subject, ref)
    if evaluation_of(session, subject, service.ref) is not None:
        raise EvaluationRefused("already_rated", "您已评价过这项服务，每项服务只能评价一次。")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise EvaluationRefused("comment_too_long", f"评价内容不能超过 {COMMENT_MAX} 个字。", 400)
    now = clock.now()
    evaluation = Evaluation(
        subject=subject,
        subject_ref=service.ref,
        person_id=person_id,
        item_id=service.item_id,
        hall_id=service.hall_id,
        channel=service.channel,
        rated_on=actor.channel.value,
        comment=comment,
        created_at=now,
        **{field: int(scores[field]) for field, _q in DIMENSIONS},
    )
    try:
        # A savepoint: two sends of the same rating at once (a double tap, two devices) both pass the check above;
        # the unique (subject, subject_ref) index lets one in, and the other is told it was rated, not a 500.
        with session.begin_nested():
            session.add(evaluation)
    except IntegrityError:
        raise EvaluationRefused("already_rated", "您已评价过这项服务，每项服务只能评价一次。") from None
    if Rating(evaluation.satisfaction).bad:
        due = add_working_days(clock.beijing(now).date(), FOLLOW_UP_DAYS, calendar)
        session.add(FollowUp(evaluation_id=evaluation.id, status=FollowUpStatus.OPEN, opened_at=now, due_on=due.date))
    # LD/T 01 6.3.2: the rating is traced in the person's operation trail with the rating itself.
    record_operation(session, person_id, f"评价 {subject.label} {service.ref}", channel=actor.channel.value)
    session.flush()
    return evaluation


@dataclass(frozen=True)
class FollowUpView:
    follow_up: FollowUp
    evaluation: Evaluation
    item_name: str
    hall_name: str | None
    overdue: bool


def follow_ups(session: Session, today: date, *, open_only: bool = True) -> list[FollowUpView]:
    """The follow-ups, soonest deadline first."""
    query = (
        select(FollowUp, Evaluation, Hall.name)
        .join(Evaluation, Evaluation.id == FollowUp.evaluation_id)
        .outerjoin(Hall, Hall.id == Evaluation.hall_id)
        .order_by(FollowUp.status, FollowUp.due_on, FollowUp.id)
    )
    if open_only:
        query = query.where(FollowUp.status == FollowUpStatus.OPEN)
    return [
        FollowUpView(f, e, service_name(e.item_id), hall, f.status is FollowUpStatus.OPEN and f.due_on < today)
        for f, e, hall in session.execute(query)
    ]


def close_follow_up(session: Session, actor: Actor, follow_up_id: int, outcome: str) -> FollowUp:
    """Record what was done about a bad rating and tell the person. Does not commit; audited."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise EvaluationRefused("outcome_required", "请填写回访处理结果，它会告知评价人。", 400)
    if len(outcome) > OUTCOME_MAX:
        raise EvaluationRefused("outcome_too_long", f"处理结果不能超过 {OUTCOME_MAX} 个字。", 400)
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise EvaluationRefused("not_found", "没有找到该回访。", 404)
    if follow_up.status is FollowUpStatus.CLOSED:
        raise EvaluationRefused("already_closed", "该回访已办结。")
    evaluation = session.get(Evaluation, follow_up.evaluation_id)
    follow_up.status = FollowUpStatus.CLOSED
    follow_up.outcome = outcome
    follow_up.closed_at = clock.now()
    follow_up.closed_by = str(actor.staff_id or "")
    name = service_name(evaluation.item_id)
    notify.enqueue(
        session,
        person_id=evaluation.person_id,
        kind=notify.MessageKind.APPLICATION_PROGRESS,
        template="evaluation_follow_up",
        params={"item": name if len(name) <= 20 else name[:19] + "…", "outcome": outcome},
        idempotency_key=f"evaluation:{evaluation.id}:follow-up",
    )
    session.flush()
    audit(
        session,
        actor,
        AuditAction.FOLLOW_UP_CLOSED,
        person_id=evaluation.person_id,
        detail=f"差评回访办结（{evaluation.subject.label} {evaluation.subject_ref}）",
    )
    return follow_up


# ---------------------------------------------------------------- the published figures (LD/T 01 7)


def parse_month(text: str | None, today: date) -> date | None:
    """``YYYY-MM`` as the month's first day; absent means this month; anything else (or a future month) is None."""
    if not text:
        return today.replace(day=1)
    text = text.strip()
    digits = text[:4] + text[5:]
    if len(text) != 7 or text[4] != "-" or not (digits.isascii() and digits.isdigit()):
        return None
    year, month = int(text[:4]), int(text[5:])
    if not 2000 <= year <= 2100 or not 1 <= month <= 12 or date(year, month, 1) > today:
        return None
    return date(year, month, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first and the next month's first instant of a Beijing calendar month, as aware UTC."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    start = datetime(first.year, first.month, 1, tzinfo=clock.BEIJING)
    end = datetime(following.year, following.month, 1, tzinfo=clock.BEIJING)
    return clock.utc(start), clock.utc(end)


def share(part: int, whole: int) -> float | None:
    """``part / whole`` as a percentage with one decimal; None when there is nothing to count."""
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Completeness:
    """How much of the catalog a channel offers fully online: not needing a window visit (LD/T 01 7 a)."""

    channel: Channel
    online: int
    total: int

    @property
    def percent(self) -> float | None:
        return share(self.online, self.total)


def completeness() -> list[Completeness]:
    """Per channel: the catalog's items that can be done there from start to result without a window visit."""
    items = load_catalog().items
    return [
        Completeness(
            channel,
            sum(1 for i in items if i.available_on(channel) and i.handling_kind is not HandlingKind.APPOINTMENT),
            len(items),
        )
        for channel in Channel
    ]


@dataclass(frozen=True)
class Row:
    """One line of the figures: a group (item, hall or channel) with what the month's records say."""

    key: str
    label: str
    submitted: int = 0
    median_minutes: float | None = None  # ease: start of the form to submission
    median_steps: float | None = None  # ease: the applicant's steps to submission (Application.steps)
    decided: int = 0
    on_time: int = 0  # timeliness: decided on or before the due date
    ratings: int = 0
    good: int = 0  # 基本满意 or better
    bad: int = 0  # 不满意 or worse

    @property
    def timeliness(self) -> float | None:
        return share(self.on_time, self.decided)

    @property
    def satisfaction(self) -> float | None:
        return share(self.good, self.ratings)


@dataclass(frozen=True)
class Figures:
    month: date
    completeness: list[Completeness]
    total: Row
    by_item: list[Row]
    by_hall: list[Row]
    by_channel: list[Row]


def _median_minutes(spans: Iterable[timedelta]) -> float | None:
    minutes = [s.total_seconds() / 60 for s in spans]
    return round(statistics.median(minutes), 1) if minutes else None


def _median(values: list[int]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def figures(session: Session, month: date) -> Figures:
    """The month's published figures, per item, hall and channel, from the records."""
    start, end = month_bounds(month)
    catalog = load_catalog()
    submitted = list(
        session.execute(
            select(
                Application.item_id,
                Application.channel,
                Application.created_at,
                Application.submitted_at,
                Application.steps,
            ).where(Application.submitted_at >= start, Application.submitted_at < end)
        )
    )
    decided = list(
        session.execute(
            select(Application.item_id, Application.channel, Application.decided_at, Application.due_date).where(
                Application.decided_at >= start,
                Application.decided_at < end,
                Application.due_date.is_not(None),
                Application.status.in_(
                    [ApplicationStatus.APPROVED, ApplicationStatus.REJECTED, ApplicationStatus.ARCHIVED]
                ),
            )
        )
    )
    rated = list(session.scalars(select(Evaluation).where(Evaluation.created_at >= start, Evaluation.created_at < end)))
    halls = dict(session.execute(select(Hall.id, Hall.name)).all())

    def build(key_of_app, key_of_rating, labels: dict[str, str]) -> list[Row]:
        spans: dict[str, list[timedelta]] = defaultdict(list)
        steps: dict[str, list[int]] = defaultdict(list)
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for item_id, channel, created, sent, taken in submitted:
            key = key_of_app(item_id, channel)
            if key is not None:
                spans[key].append(sent - created)
                if taken is not None:  # rows from before steps were counted say nothing about them
                    steps[key].append(taken)
                counts[key]["submitted"] += 1
        for item_id, channel, at, due in decided:
            key = key_of_app(item_id, channel)
            if key is not None:
                counts[key]["decided"] += 1
                counts[key]["on_time"] += clock.beijing(at).date() <= due
        for e in rated:
            key = key_of_rating(e)
            if key is not None:
                counts[key]["ratings"] += 1
                counts[key]["good"] += e.satisfaction >= Rating.BASIC
                counts[key]["bad"] += Rating(e.satisfaction).bad
        return [
            Row(
                key,
                labels.get(key, key),
                submitted=counts[key]["submitted"],
                median_minutes=_median_minutes(spans[key]),
                median_steps=_median(steps[key]),
                decided=counts[key]["decided"],
                on_time=counts[key]["on_time"],
                ratings=counts[key]["ratings"],
                good=counts[key]["good"],
                bad=counts[key]["bad"],
            )
            for key in sorted(counts, key=lambda k: list(labels).index(k) if k in labels else len(labels))
        ]

    item_labels = {i.id: i.name for i in catalog.items} | _CONSULT_NAMES
    channel_labels = {c.value: c.label for c in Channel}
    hall_labels = {str(k): v for k, v in halls.items()}
    total = build(lambda _i, _c: "all", lambda _e: "all", {"all": "全部"})
    return Figures(
        month=month.replace(day=1),
        completeness=completeness(),
        total=total[0] if total else Row("all", "全部"),
        by_item=build(lambda i, _c: i, lambda e: e.item_id, item_labels),
        by_hall=build(lambda _i, _c: None, lambda e: str(e.hall_id) if e.hall_id else None, hall_labels),
        by_channel=build(lambda _i, c: c, lambda e: e.channel, channel_labels),
    )
