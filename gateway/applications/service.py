"""Applying online and handling applications (LD/T 01 5.3; GB/T 31621 5.2.1, 6.2.1.3, 13.3.4).

Every function takes a SQLAlchemy session and flushes; its caller commits (the request boundary, a CLI command),
so a status change, its timeline event and its message to the applicant (notify's outbox, LD/T 01 5.3.1 c)
commit together or not at all. Files are written to disk before the commit and removed again if the transaction
rolls back (``gateway.db.on_rollback``); a removed file is deleted only once the removal commits. No Flask here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, selectinload

import notify
from gateway import clock
from gateway.applications import face_check, fields, uploads
from gateway.applications.models import (
    ActorKind,
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationStatus,
)
from gateway.backoffice.interface import BackOffice, EligibilityVerdict
from gateway.backoffice.models import PersonStatus, RegistrationStatus
from gateway.backoffice.models import Scheme as BoScheme
from gateway.backoffice.resilient import WriteNotDelivered
from gateway.catalog import (
    Audience,
    Channel,
    HandlingKind,
    Material,
    Scheme,
    Section,
    ServiceItem,
    load_catalog,
    load_forms,
)
from gateway.catalog import forms as catalog_forms
from gateway.db import on_commit, on_rollback
from gateway.identity.models import Person
from gateway.identity.service import identity_of
from gateway.problems import UserError
from gateway.resilience.writes import queue as queue_core_write
from gateway.security.pii import PiiVault, Purpose
from gateway.validation import (
    ValidationError,
    mask_id_number,
    mask_name,
    normalize_social_security_number,
)
from gateway.workdays import WorkCalendar, add_working_days, default_calendar

__all__ = [
    "ApplicationView",
    "Decision",
    "FieldKind",
    "FormField",
    "Staff",
    "accept",
    "add_materials",
    "applicable_items",
    "approve",
    "archive",
    "department_for",
    "eligibility",
    "fields_for",
    "fill_in",
    "get_draft",
    "hand_in",
    "is_overdue",
    "lookup",
    "my_applications",
    "prefill",
    "receipt_data",
    "reject",
    "remove_material",
    "request_supplement",
    "require_eligible",
    "save_form",
    "submit",
    "supplement",
    "uploadable_materials",
    "view_of",
    "work_queue",
]

#: Items of the services section that are queries or calculators, not applications.
NOT_APPLICATIONS = frozenset({"pension-estimate", "card-status"})
NOTE_MAX = 300
PROBLEM_MAX = 200
#: The statuses a staff member still has to act on (the work queue).
OPEN_FOR_STAFF = (
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.ACCEPTED,
    ApplicationStatus.SUPPLEMENTED,
    ApplicationStatus.FIRST_APPROVED,
)

# Which department handles which scheme (the work queue per department).
_DEPARTMENTS = {
    Scheme.PENSION: "养老保险科",
    Scheme.UNEMPLOYMENT: "失业保险科",
    Scheme.MEDICAL: "医疗保险科",
    Scheme.MATERNITY: "医疗保险科",  # maternity insurance is handled with medical insurance
    Scheme.WORK_INJURY: "工伤保险科",
    Scheme.GENERAL: "参保登记科",
}


def department_for(item: ServiceItem) -> str:
    """The department whose queue receives applications for ``item``."""
    return _DEPARTMENTS[item.scheme]


@dataclass(frozen=True)
class Staff:
    """A staff member acting on an application (staff accounts come with the identity layer)."""

    staff_id: str
    name: str
    department: str


# ---------------------------------------------------------------- what each item asks for


FieldKind = catalog_forms.FieldKind
FormField = catalog_forms.FormField


def fields_for(item: ServiceItem) -> tuple[FormField, ...]:
    """The fields of step 1 for ``item`` as ``forms.yaml`` declares them: its own, then the contact phone and a
    note."""
    return load_forms().fields_for(item.id)


def uploadable_materials(item: ServiceItem) -> tuple[Material, ...]:
    """Materials a person may upload; the ID is verified by the real-name login instead (Art. 31)."""
    return tuple(m for m in item.required_materials if "实名认证" not in m.note)


# ---------------------------------------------------------------- instant items: rules of the back office


@dataclass(frozen=True)
class Decision:
    """An instant item's result, decided at submission (LD/T 01 5.3.1 b)."""

    approved: bool
    text: str


def _pension_registration(backoffice: BackOffice, id_number: str):
    return next((r for r in backoffice.registrations(id_number) if r.scheme is BoScheme.PENSION), None)


def _flexible_contribution(backoffice: BackOffice, id_number: str, form: dict[str, str], today: date) -> Decision:
    person = backoffice.find_person(id_number)
    registration = _pension_registration(backoffice, id_number)
    if person is None or registration is None or registration.status is RegistrationStatus.ENDED:
        return Decision(False, "未查询到您有效的基本养老保险参保登记，请先办理“灵活就业人员参保登记”。")
    if person.status is PersonStatus.RETIRED:
        return Decision(False, "您已按月领取基本养老金，不需要再申报灵活就业人员缴费档次。")
    if person.status is PersonStatus.WORKING and person.unit_name:
        return Decision(
            False,
            f"您目前由“{person.unit_name}”参保缴费，同一时期不能再以灵活就业人员身份缴纳基本养老保险费"
            "（《社会保险法》第十条）。",
        )
    cycle = next(f for f in load_forms().fields_for("flexible-employment-contribution") if f.name == "cycle")
    cycle_label = dict(cycle.choices)[form["cycle"]]
    return Decision(True, f"已核定：自{today.year}年{today.month}月起按{form['grade']}%档次、{cycle_label}。")


def _eligibility(backoffice: BackOffice, id_number: str, form: dict[str, str], today: date) -> Decision:
    person = backoffice.find_person(id_number)
    if person is None or person.status not in (PersonStatus.RETIRED, PersonStatus.UNEMPLOYED):
        return Decision(False, "您目前没有按月领取社会保险待遇，不需要进行待遇领取资格认证。")
    valid_until = date(today.year + 1, today.month, min(today.day, 28))
    return Decision(True, f"资格认证通过，有效期至{valid_until:%Y年%m月%d日}。")


#: Instant items and the rule that decides each at once.
INSTANT_RULES: dict[str, Callable[[BackOffice, str, dict[str, str], date], Decision]] = {
    "flexible-employment-contribution": _flexible_contribution,
    "eligibility-certification": _eligibility,
}


def applicable_items() -> list[ServiceItem]:
    """Items a person can apply for on the web (the guide page shows "在线办理" for these)."""
    return [
        item
        for item in load_catalog().for_channel(Channel.WEB)
        if item.section is Section.SERVICES
        and Audience.PERSON in item.audience
        and item.id not in NOT_APPLICATIONS
        and (item.handling_kind is not HandlingKind.INSTANT or item.id in INSTANT_RULES)
    ]


def applicable_item(item_id: str) -> ServiceItem:
    """The item, if it can be applied for online; raises a 404 UserError otherwise."""
    item = load_catalog().get(item_id)
    if item not in applicable_items():
        raise UserError("not_applicable", f"“{item.name}”不能在网上申请，请查看办事指南。", 404)
    return item


# ---------------------------------------------------------------- step 1: fill in (prefilled, Art. 31)


@dataclass(frozen=True)
class Prefill:
    """What the back office already knows; shown, never asked for again (Regulation Art. 31)."""

    name: str
    id_number_masked: str
    phone: str
    unit_name: str | None
    region: str


def prefill(backoffice: BackOffice, id_number: str, name: str) -> Prefill:
    """The applicant's details from the back office."""
    record = backoffice.find_person(id_number)
    return Prefill(
        name=record.name if record else name,
        id_number_masked=mask_id_number(id_number),
        phone=record.phone if record else "",
        unit_name=record.unit_name if record else None,
        region=record.region if record else "",
    )


def _clean_form(
    item: ServiceItem, raw: Mapping[str, object], today: date
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    return fields.clean(fields_for(item), raw, today)


# ---------------------------------------------------------------- before step 1: can the person apply at all?


def eligibility(backoffice: BackOffice, item: ServiceItem, id_number: str, today: date) -> EligibilityVerdict | None:
    """The back office's answer for the check ``forms.yaml`` declares for ``item`` ("check you can apply"), or
    None when the item declares none. BackOfficeUnavailable when the core system cannot answer."""
    check = load_forms().of(item.id).eligibility
    if check is None:
        return None
    return backoffice.check_eligibility(id_number, check, today)


def require_eligible(backoffice: BackOffice, item: ServiceItem, id_number: str, today: date) -> None:
    """Refuse (409, the reason in plain Chinese) when the back office says the person cannot apply for ``item``."""
    verdict = eligibility(backoffice, item, id_number, today)
    if verdict is not None and not verdict.eligible:
        raise UserError("not_eligible", verdict.reason or f"您目前不符合“{item.name}”的申请条件。", 409)


def get_draft(session: Session, person_id: int, item_id: str) -> Application | None:
    """The person's unfinished application for ``item_id``, if any."""
    return session.scalar(
        select(Application)
        .where(
            Application.person_id == person_id,
            Application.item_id == item_id,
            Application.status == ApplicationStatus.DRAFT,
        )
        .order_by(Application.id.desc())
        .limit(1)
    )


def count_step(app: Application) -> None:
    """One more step of a draft for the ease figures (LD/T 01 7: median steps to submission); a row from before
    steps were counted stays uncounted rather than showing a wrong small number."""
    if app.steps is not None:
        app.steps += 1


def save_form(
    session: Session,
    person_id: int,
    item: ServiceItem,
    raw: dict[str, str],
    *,
    channel: str = Channel.WEB.value,
    now: datetime,
    vault: PiiVault | None = None,
) -> tuple[Application | None, list[tuple[str, str]]]:
    """Step 1: check the form against the item's declaration and keep it in the person's draft; every problem is
    returned at once. Answers declared personal are stored encrypted with ``vault`` (required when there are any)."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    values, errors = _clean_form(item, raw, clock.wall(now).date())
    if errors:
        return None, errors
    personal = {f.name for f in fields_for(item) if f.personal}
    secret = {k: v for k, v in values.items() if k in personal}
    if secret and vault is None:
        raise ValueError("personal answers are stored encrypted: pass the vault")
    app = get_draft(session, person_id, item.id)
    if app is None:
        app = Application(
            item_id=item.id,
            item_name=item.name,
            handling_kind=item.handling_kind.value,
            person_id=person_id,
            status=ApplicationStatus.DRAFT,
            channel=channel,
            department=department_for(item),
            created_at=now,
            updated_at=now,
            due_provisional=False,
            risk_confirmed=False,
            steps=0,
        )
        session.add(app)
    count_step(app)
    app.form_json = json.dumps({k: v for k, v in values.items() if k not in personal}, ensure_ascii=False)
    session.flush()  # the id the encrypted answers are bound to
    if secret:
        assert vault is not None
        app.fields_enc = vault.encrypt(json.dumps(secret, ensure_ascii=False), Purpose.APPLICATION_FIELDS, str(app.id))
    else:
        app.fields_enc = None
    app.updated_at = now
    session.flush()
    return app, []


def fill_in(
    session: Session,
    backoffice: BackOffice,
    vault: PiiVault,
    person_id: int,
    id_number: str,
    item: ServiceItem,
    raw: Mapping[str, object],
    *,
    channel: str,
    now: datetime,
) -> tuple[Application | None, list[tuple[str, str]]]:
    """Step 1 as every channel runs it: the eligibility check first (a refusal with the reason, 409), then the
    answers checked against the item's declaration and kept in the draft, personal ones encrypted."""
    require_eligible(backoffice, item, id_number, clock.wall(clock.utc(now)).date())
    return save_form(session, person_id, item, dict(raw), channel=channel, now=now, vault=vault)


def form_values(app: Application, vault: PiiVault | None = None) -> dict[str, str]:
    """The answers of step 1; the personal ones too when ``vault`` is given."""
    values = json.loads(app.form_json or "{}")
    if vault is not None and app.fields_enc:
        values.update(json.loads(vault.decrypt(app.fields_enc, Purpose.APPLICATION_FIELDS, str(app.id))))
    return values


def form_display(
    item: ServiceItem, app: Application, *, masked: bool = False, vault: PiiVault | None = None
) -> list[tuple[str, str]]:
    """(label, shown value) for each answered field, in form order; ``masked`` hides most of each personal answer
    and the phone (Regulation Art. 49). Personal answers are shown only when ``vault`` is given."""
    values = form_values(app, vault)
    shown = []
    for f in fields_for(item):
        if f.name in values:
            value = values[f.name]
            shown.append((f.label, fields.masked_value(f, value) if masked else fields.display_value(f, value)))
    return shown


# ---------------------------------------------------------------- step 2: materials


def current_materials(app: Application) -> list[ApplicationMaterial]:
    """Files that count (superseded ones stay in the table for the trail)."""
    return [m for m in app.materials if not m.superseded]


def _add_files(
    session: Session,
    app: Application,
    files: Sequence[uploads.IncomingFile],
    var_dir: Path,
    now: datetime,
    scanner: uploads.VirusScanner | None,
) -> list[uploads.StoredFile]:
    item = load_catalog().get(app.item_id)
    names = {m.name for m in uploadable_materials(item)}
    for f in files:
        if f.material not in names:
            raise uploads.UploadRefused("请选择要上传的材料名称。")
    stored = uploads.store_files(files, var_dir, already=len(current_materials(app)), scanner=scanner)
    for s in stored:
        app.materials.append(
            ApplicationMaterial(
                material=s.material,
                filename=s.filename,
                stored_name=s.stored_name,
                content_type=s.kind.value,
                size=s.size,
                sha256=s.sha256,
                uploaded_at=now,
                superseded=False,
            )
        )
    return stored


def _keep_or_remove(session: Session, stored: list[uploads.StoredFile], var_dir: Path) -> None:
    """The files just stored stay only if the transaction that records them commits."""
    names = [s.stored_name for s in stored]
    on_rollback(session, lambda: uploads.delete_stored(names, var_dir))
    session.flush()


def add_materials(
    session: Session,
    app: Application,
    files: Sequence[uploads.IncomingFile],
    var_dir: Path,
    *,
    now: datetime,
    scanner: uploads.VirusScanner | None = None,
) -> int:
    """Step 2: check and keep uploaded files for a draft; all or nothing. Returns how many were added."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    if app.status is not ApplicationStatus.DRAFT:
        raise UserError("not_draft", "申请已提交，如需补充材料请按补正通知办理。", 409)
    stored = _add_files(session, app, files, var_dir, now, scanner)
    app.updated_at = now
    count_step(app)
    _keep_or_remove(session, stored, var_dir)
    session.refresh(app)
    return len(stored)


def remove_material(session: Session, app: Application, material_id: int, var_dir: Path) -> None:
    """Remove a file from a draft (after submission files are only ever superseded)."""
    if app.status is not ApplicationStatus.DRAFT:
        raise UserError("not_draft", "申请已提交，材料不能删除。", 409)
    material = next((m for m in app.materials if m.id == material_id), None)
    if material is None:
        raise UserError("not_found", "没有找到该文件。", 404)
    stored_name = material.stored_name
    app.materials.remove(material)
    count_step(app)
    session.flush()
    on_commit(session, lambda: uploads.delete_stored([stored_name], var_dir))


# ---------------------------------------------------------------- status changes (each one → notify)


def _short(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _transition(
    session: Session,
    app: Application,
    status: ApplicationStatus,
    actor_kind: ActorKind,
    actor: str,
    note: str,
    now: datetime,
) -> ApplicationEvent:
    """Move to ``status``, trace it in the timeline, and queue the message in the same transaction."""
    # A conditional UPDATE, not a read-then-write: two staff members acting at once cannot both move it.
    moved = session.execute(
        update(Application)
        .where(Application.id == app.id, Application.status == app.status)
        .values(status=status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise UserError("conflict", "该申请刚刚已被处理，请刷新页面查看最新状态。", 409)
    app.status = status
    app.updated_at = now
    event = ApplicationEvent(status=status, actor_kind=actor_kind, actor=actor, note=note, at=now)
    app.events.append(event)
    session.flush()
    common = {"item": _short(app.item_name), "number": app.number or ""}
    # LD/T 01 5.3.1 c: every result, success or failure, and each step of progress is told to the person.
    if status in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
        kind, template = notify.MessageKind.APPLICATION_RESULT, "application_result"
        params = {**common, "result": "准予办理" if status is ApplicationStatus.APPROVED else "不予办理"}
    else:
        kind, template = notify.MessageKind.APPLICATION_PROGRESS, "application_progress"
        params = {**common, "stage": _short(status.label)}
    notify.enqueue(
        session,
        person_id=app.person_id,
        kind=kind,
        template=template,
        params=params,
        idempotency_key=f"application:{app.id}:event:{event.id}",
        link=f"/progress/{app.number}",
    )
    return event


def _require(app: Application, allowed: Sequence[ApplicationStatus], what: str) -> None:
    if app.status not in allowed:
        raise UserError("wrong_status", f"该申请当前为“{app.status.label}”，不能{what}。", 409)


def submit(
    session: Session,
    app: Application,
    *,
    backoffice: BackOffice,
    id_number: str,
    risk_confirmed: bool,
    now: datetime,
    calendar: WorkCalendar | None = None,
) -> Application:
    """Step 3: submit; instant items are decided at once, promised ones get their due date, appointment
    items are pre-reviewed (LD/T 01 5.3.1 b). Channels call :func:`hand_in`, which asks the eligibility check
    again first."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    local = clock.wall(now)  # the agency's date: numbering, instant rules, the start of a time limit
    _require(app, (ApplicationStatus.DRAFT,), "提交")
    item = load_catalog().get(app.item_id)
    if item.risky and not risk_confirmed:
        # LD/T 01 5.3.2: a risky operation needs the person's explicit confirmation of the warning.
        raise UserError("risk_not_confirmed", "请阅读风险提示，并勾选“我已了解上述风险，确认办理”后再提交。")
    checked = item.id in face_check.REQUIRED_FOR
    check = face_check.usable(session, app, now) if checked else None
    if checked and check is None:
        # LD/T 01 5.4.3 a: only the person's own passed face check lets a certification be submitted.
        raise UserError("face_check_required", "请先完成人脸识别，识别通过后才能提交资格认证。", 409)
    decision = None
    queued_write: WriteNotDelivered | None = None
    if item.handling_kind is HandlingKind.INSTANT:
        # Decided (read-only) before anything is written here.
        decision = INSTANT_RULES[item.id](backoffice, id_number, form_values(app), local.date())
        if check is not None and decision.approved:
            # The back office certifies the year (Regulation Art. 26) first, outside our transaction: if it
            # cannot, nothing is recorded here and the unspent check lets the person try again; certifying
            # the same year again only updates it.
            try:
                backoffice.certify_eligibility(id_number, local.year, local.date(), "face", check.session_id)
            except WriteNotDelivered as undelivered:
                # Issue 19: the core system did not answer; the certification is kept in the write queue and
                # sent when it is back (the person is told now and when it is done), not lost.
                queued_write = undelivered
    app.risk_confirmed = bool(risk_confirmed)
    session.flush()
    app.number = f"SQ{local:%Y%m%d}{app.id:06d}"
    app.submitted_at = now
    count_step(app)
    app.department = department_for(item)
    applicant = f"person:{app.person_id}"
    _transition(session, app, ApplicationStatus.SUBMITTED, ActorKind.APPLICANT, applicant, "网上提交申请", now)
    if checked:
        face_check.use_for_submission(session, app, now)
    if queued_write is not None:
        queue_core_write(session, queued_write, app.person_id, now)
    if decision is not None:
        app.decided_at, app.decided_by, app.result = now, "system", decision.text
        status = ApplicationStatus.APPROVED if decision.approved else ApplicationStatus.REJECTED
        _transition(session, app, status, ActorKind.SYSTEM, "system", decision.text, now)
    elif item.handling_kind is HandlingKind.PROMISED:
        # The limit runs from the day after receipt, in working days (Regulation; gateway.workdays).
        due = add_working_days(local.date(), item.legal_limit_days or 0, calendar or default_calendar())
        app.due_date, app.due_provisional = due.date, due.provisional
    else:
        _prereview(session, app, item, now)
    session.flush()
    return app


def hand_in(
    session: Session,
    app: Application,
    *,
    backoffice: BackOffice,
    id_number: str,
    risk_confirmed: bool,
    now: datetime,
) -> Application:
    """Step 3 as every channel runs it: the eligibility check of step 1 asked again (a refusal with the reason,
    409, before anything is written), then :func:`submit`. A person's situation can change between the steps
    (a new job, a pension granted), and a claim must not go in on yesterday's answer."""
    require_eligible(backoffice, load_catalog().get(app.item_id), id_number, clock.wall(clock.utc(now)).date())
    return submit(session, app, backoffice=backoffice, id_number=id_number, risk_confirmed=risk_confirmed, now=now)


def _prereview(session: Session, app: Application, item: ServiceItem, now: datetime) -> None:
    """Appointment items: check the copies online, then send the person to a window with the originals."""
    have = {m.material for m in current_materials(app)}
    missing = [m.name for m in uploadable_materials(item) if m.name not in have]
    if missing:
        problems = [f"请上传“{name}”的影像件（照片或扫描件）。" for name in missing]
        app.notice_json = json.dumps(problems, ensure_ascii=False)
        _transition(
            session,
            app,
            ApplicationStatus.SUPPLEMENT_REQUESTED,
            ActorKind.SYSTEM,
            "system",
            "；".join(problems),
            now,
        )
        return
    originals = [m.name for m in item.required_materials if m.original_required]
    note = "网上预审通过，请预约窗口办理" + (f"，并携带原件：{'、'.join(originals)}。" if originals else "。")
    _transition(session, app, ApplicationStatus.PREREVIEWED, ActorKind.SYSTEM, "system", note, now)


def _staff_may_act(app: Application, staff: Staff) -> None:
    if staff.department != app.department:
        raise UserError("wrong_department", f"该申请由{app.department}办理，您不能处理。", 403)


def accept(session: Session, app: Application, staff: Staff, *, now: datetime) -> Application:
    """Accept (受理) an application received online (GB/T 31621 5.2.1)."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    _staff_may_act(app, staff)
    _require(app, (ApplicationStatus.SUBMITTED,), "受理")
    app.accepted_at, app.accepted_by = now, staff.staff_id
    _transition(
        session,
        app,
        ApplicationStatus.ACCEPTED,
        ActorKind.STAFF,
        staff.staff_id,
        f"{app.department}受理",
        now,
    )
    session.flush()
    return app


def request_supplement(
    session: Session, app: Application, staff: Staff, problems: Sequence[str], *, now: datetime
) -> Application:
    """The one-time notice (一次性告知, GB/T 31621 6.2.1.3): every problem, told together, once."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    _staff_may_act(app, staff)
    _require(
        app,
        (ApplicationStatus.SUBMITTED, ApplicationStatus.ACCEPTED, ApplicationStatus.SUPPLEMENTED),
        "要求补正",
    )
    cleaned: list[str] = []
    for p in problems:
        text = " ".join((p or "").split())
        if text and text not in cleaned:
            cleaned.append(text[:PROBLEM_MAX])
    if not cleaned:
        raise UserError("no_problems", "请在一次性告知中写明需要补正的全部问题。")
    app.notice_json = json.dumps(cleaned, ensure_ascii=False)
    if app.accepted_at is None:
        app.accepted_at, app.accepted_by = now, staff.staff_id
    note = "一次性告知：" + "；".join(cleaned)
    _transition(session, app, ApplicationStatus.SUPPLEMENT_REQUESTED, ActorKind.STAFF, staff.staff_id, note, now)
    session.flush()
    return app


def notice(app: Application) -> list[str]:
    """The problems of the latest one-time notice."""
    return json.loads(app.notice_json) if app.notice_json else []


def supplement(
    session: Session,
    app: Application,
    person_id: int,
    *,
    note: str,
    files: Sequence[uploads.IncomingFile],
    var_dir: Path,
    now: datetime,
    scanner: uploads.VirusScanner | None = None,
    final: bool = True,
) -> Application:
    """Answer the one-time notice without starting over: new files replace those of the same material.

    ``final=False`` keeps a part of the answer (files only) and leaves the application waiting for the rest: a
    channel that sends one file per request (``wx.uploadFile``) answers in parts, and the answer is complete, and
    the staff told, only with the final request — so the notice is still answered once, as a whole
    (GB/T 31621 6.2.1.3)."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    if app.person_id != person_id:
        raise UserError("not_found", "没有找到该申请。", 404)
    _require(app, (ApplicationStatus.SUPPLEMENT_REQUESTED,), "补正")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise UserError("note_too_long", f"补正说明最多{NOTE_MAX}个字。")
    files = [f for f in files if f.filename or f.data]
    if not final and not files:
        raise UserError("empty_supplement", "请选择要上传的补正材料。")
    earlier = _parts_since_notice(app) if final else 0
    if not files and not note and not earlier:
        raise UserError("empty_supplement", "请上传补正材料或填写补正说明。")
    replaced = {f.material for f in files}
    for m in current_materials(app):
        if m.material in replaced:
            m.superseded = True
    session.flush()
    try:
        stored = _add_files(session, app, files, var_dir, now, scanner)
    except Exception:
        session.rollback()
        raise
    if not final:
        app.updated_at = now
        _keep_or_remove(session, stored, var_dir)
        return app
    count = len(stored) + earlier
    text = "补正材料" + (f"：{count}个文件" if count else "") + (f"；说明：{note}" if note else "")
    person = f"person:{person_id}"
    _transition(session, app, ApplicationStatus.SUPPLEMENTED, ActorKind.APPLICANT, person, text, now)
    if app.handling_kind == HandlingKind.APPOINTMENT.value:
        _prereview(session, app, load_catalog().get(app.item_id), now)
    _keep_or_remove(session, stored, var_dir)
    return app


def _parts_since_notice(app: Application) -> int:
    """Files kept as parts of the answer (``final=False``) since the latest one-time notice."""
    asked = max((e.at for e in app.events if e.status is ApplicationStatus.SUPPLEMENT_REQUESTED), default=None)
    if asked is None:
        return 0
    return sum(1 for m in current_materials(app) if clock.utc(m.uploaded_at) >= clock.utc(asked))


def approve(session: Session, app: Application, staff: Staff, *, now: datetime, text: str = "") -> Application:
    """Approve; a risky item needs a second, different staff member (GB/T 31621 13.3.4 岗位互斥)."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    _staff_may_act(app, staff)
    _require(
        app,
        (ApplicationStatus.ACCEPTED, ApplicationStatus.SUPPLEMENTED, ApplicationStatus.FIRST_APPROVED),
        "审批",
    )
    item = load_catalog().get(app.item_id)
    if item.risky and app.status is not ApplicationStatus.FIRST_APPROVED:
        app.first_reviewer = staff.staff_id
        note = "初审通过，转复核（高风险事项须由另一名经办人员复核）"
        _transition(session, app, ApplicationStatus.FIRST_APPROVED, ActorKind.STAFF, staff.staff_id, note, now)
        session.flush()
        return app
    if app.status is ApplicationStatus.FIRST_APPROVED and staff.staff_id == app.first_reviewer:
        raise UserError("same_reviewer", "初审和复核不能由同一名经办人员完成，请由另一名经办人员复核。", 409)
    result = " ".join((text or "").split()) or "准予办理。"
    app.decided_at, app.decided_by, app.result = now, staff.staff_id, result
    _transition(session, app, ApplicationStatus.APPROVED, ActorKind.STAFF, staff.staff_id, result, now)
    session.flush()
    return app


def reject(session: Session, app: Application, staff: Staff, reason: str, *, now: datetime) -> Application:
    """Reject with a reason the person can read (and appeal: the result message says how)."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    _staff_may_act(app, staff)
    _require(app, OPEN_FOR_STAFF, "作出不予办理决定")
    reason = " ".join((reason or "").split())
    if not reason:
        raise UserError("no_reason", "不予办理必须写明理由。")
    app.decided_at, app.decided_by, app.result = now, staff.staff_id, reason
    _transition(session, app, ApplicationStatus.REJECTED, ActorKind.STAFF, staff.staff_id, reason, now)
    session.flush()
    return app


def archive(session: Session, app: Application, staff: Staff, *, now: datetime) -> Application:
    """File a finished application (归档, GB/T 31621 5.2.1)."""
    now = clock.utc(now)  # an instant; a naive value is Beijing wall-clock time
    _staff_may_act(app, staff)
    _require(app, (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED), "归档")
    _transition(session, app, ApplicationStatus.ARCHIVED, ActorKind.STAFF, staff.staff_id, "归档", now)
    session.flush()
    return app


# ---------------------------------------------------------------- reading


def is_overdue(app: Application, today: date) -> bool:
    """Past its due date without a result."""
    return app.due_date is not None and not app.status.closed and today > app.due_date


@dataclass(frozen=True)
class QueueEntry:
    application: Application
    overdue: bool
    days_left: int | None


def work_queue(session: Session, department: str, today: date) -> list[QueueEntry]:
    """Applications a department still has to act on, overdue and nearest due first."""
    apps = session.scalars(
        select(Application)
        .where(Application.department == department, Application.status.in_(OPEN_FOR_STAFF))
        .order_by(Application.due_date.is_(None), Application.due_date, Application.id)
    ).all()
    return [QueueEntry(a, is_overdue(a, today), (a.due_date - today).days if a.due_date else None) for a in apps]


def my_applications(session: Session, person_id: int) -> list[Application]:
    """The person's applications, newest first (drafts included, to be continued)."""
    return list(session.scalars(_MINE, {"person_id": person_id}))


# Built once: the progress page asks on every view, and building the statement cost about as much as running it.
_MINE = (
    select(Application)
    .where(Application.person_id == bindparam("person_id"))
    .order_by(Application.created_at.desc(), Application.id.desc())
)


def by_number(session: Session, number: str) -> Application | None:
    """The submitted application with this number."""
    number = (number or "").strip().upper()
    if not re.fullmatch(r"SQ[0-9]{14,18}", number):
        return None
    return session.scalar(
        select(Application).options(selectinload(Application.events)).where(Application.number == number)
    )


def lookup(session: Session, vault: PiiVault, number: str, id_number: str) -> Application | None:
    """Anonymous lookup: the application only when BOTH the number and the applicant's ID number match."""
    try:
        # The applicant's social security number: a resident ID, a residence permit or a permanent residence ID
        # number (LD/T 01 6.2.3 b–c), each with its own check.
        digest = vault.digest(normalize_social_security_number(id_number))
    except ValidationError:
        digest = None
    app = by_number(session, number)
    if app is None or digest is None:
        return None
    person = session.get(Person, app.person_id)
    return app if person is not None and person.id_digest == digest else None


@dataclass(frozen=True)
class ApplicationView:
    """Everything the progress page shows (LD/T 01 5.2.1 a, b)."""

    application: Application
    item: ServiceItem
    applicant_masked: str
    id_number_masked: str
    form: list[tuple[str, str]]
    materials: list[ApplicationMaterial]
    events: list[ApplicationEvent]
    notice: list[str]
    overdue: bool
    appointment_link: str | None
    originals: list[str] = field(default_factory=list)

    @property
    def status(self) -> ApplicationStatus:
        return self.application.status


def view_of(app: Application, vault: PiiVault, person: Person, today: date) -> ApplicationView:
    """The progress view of ``app`` with the applicant's name and ID masked (Regulation Art. 49)."""
    item = load_catalog().get(app.item_id)
    appointment = (
        f"/appointments/book?item={item.id}"
        if item.handling_kind is HandlingKind.APPOINTMENT and app.status is ApplicationStatus.PREREVIEWED
        else None
    )
    return ApplicationView(
        application=app,
        item=item,
        applicant_masked=mask_name(identity_of(vault, person).name),
        id_number_masked=mask_id_number(identity_of(vault, person).id_number),
        form=form_display(item, app, masked=True, vault=vault),
        materials=current_materials(app),
        events=list(app.events),
        notice=notice(app) if app.status is ApplicationStatus.SUPPLEMENT_REQUESTED else [],
        overdue=is_overdue(app, today),
        appointment_link=appointment,
        originals=[m.name for m in item.required_materials if m.original_required],
    )


def application_json(view: ApplicationView) -> dict:
    """The API form of a progress view."""
    app = view.application
    return {
        "number": app.number,
        "item": {"id": view.item.id, "name": view.item.name, "handling_kind": view.item.handling_kind.value},
        "status": app.status.value,
        "status_label": app.status.label,
        "applicant": view.applicant_masked,
        # Times as documented: Beijing local time, ISO 8601 without an offset.
        "submitted_at": clock.api_local(app.submitted_at, "seconds"),
        "accepted_at": clock.api_local(app.accepted_at, "seconds"),
        "department": app.department,
        "due_date": ({"date": app.due_date.isoformat(), "provisional": app.due_provisional} if app.due_date else None),
        "overdue": view.overdue,
        "result": app.result if app.status.closed else None,
        "notice": view.notice,
        "materials": [
            {
                "material": m.material,
                "filename": m.filename,
                "size": m.size,
                "uploaded_at": clock.api_local(m.uploaded_at),
            }
            for m in view.materials
        ],
        "timeline": [
            {
                "at": clock.api_local(e.at, "seconds"),
                "status": e.status.value,
                "status_label": e.status.label,
                "actor": e.actor_kind.label,
                "note": e.note,
            }
            for e in view.events
        ],
        "appointment_link": view.appointment_link,
    }


def receipt_data(app: Application, vault: PiiVault, person: Person, agency_name: str) -> dict:
    """What esign needs for the acceptance notice and the result notice (LD/T 01 5.3.1 d)."""
    return {
        "number": app.number,
        "item_id": app.item_id,
        "item_name": app.item_name,
        "applicant_name": identity_of(vault, person).name,
        "applicant_id_masked": mask_id_number(identity_of(vault, person).id_number),
        "submitted_at": app.submitted_at,
        "accepted_at": app.accepted_at,
        "department": app.department,
        "agency": agency_name,
        "due_date": app.due_date,
        "due_provisional": app.due_provisional,
        "materials": [m.material + "：" + m.filename for m in current_materials(app)],
        "status": app.status.value,
        "status_label": app.status.label,
        "result": app.result if app.status.closed else None,
        "decided_at": app.decided_at,
    }
