"""Policy documents (LD/T 01 5.6.1): staff publish them with issuing body, number and dates, correct them, and
mark one replaced by a newer one; the public sees the list, in force first. Every change is audited by the caller's
Actor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.actor import Actor, audit
from gateway.problems import UserError
from gateway.public_info.models import PolicyDocument, PolicyStatus
from gateway.staff.models import AuditAction
from gateway.validation import ValidationError, parse_date

LIMITS = {"title": 120, "issuer": 80, "number": 60, "summary": 1000}


@dataclass(frozen=True)
class PolicyInput:
    """What staff type for a new document (strings as typed; checked by :func:`check`)."""

    title: str
    issuer: str
    number: str
    published_on: str
    effective_on: str
    summary: str = ""


class PolicyRefused(UserError):
    """A policy change that cannot be made, with the reason for staff."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(code, message, status)


def check(value: PolicyInput) -> tuple[list[tuple[str, str]], date | None, date | None]:
    """Every problem with ``value``, each tied to its form field (all at once), and the parsed dates."""
    problems: list[tuple[str, str]] = []
    names = {"title": "文件名称", "issuer": "发文机关", "number": "文号"}
    for field, name in names.items():
        text = getattr(value, field).strip()
        if not text:
            problems.append((field, f"请填写{name}。"))
        elif len(text) > LIMITS[field]:
            problems.append((field, f"{name}不能超过 {LIMITS[field]} 个字。"))
    if len(value.summary.strip()) > LIMITS["summary"]:
        problems.append(("summary", f"内容摘要不能超过 {LIMITS['summary']} 个字。"))
    dates: dict[str, date | None] = {}
    for field, name in (("published_on", "发布日期"), ("effective_on", "施行日期")):
        try:
            dates[field] = parse_date(getattr(value, field))
        except ValidationError as exc:
            dates[field] = None
            problems.append((field, f"{name}：{exc.message}"))
    published, effective = dates["published_on"], dates["effective_on"]
    if published and effective and effective < published:
        problems.append(("effective_on", "施行日期不能早于发布日期。"))
    return problems, published, effective


def add(session: Session, actor: Actor, value: PolicyInput) -> PolicyDocument:
    """Publish a document in force. Does not commit; the change is audited in the same transaction."""
    problems, published, effective = check(value)
    if problems:
        raise PolicyRefused("invalid", problems[0][1], 400)
    now = clock.now()
    doc = PolicyDocument(
        title=value.title.strip(),
        issuer=value.issuer.strip(),
        number=value.number.strip(),
        published_on=published,
        effective_on=effective,
        summary=value.summary.strip(),
        status=PolicyStatus.IN_FORCE,
        created_at=now,
        updated_at=now,
    )
    session.add(doc)
    session.flush()
    audit(session, actor, AuditAction.SETTINGS_CHANGED, detail=f"发布政策文件 {doc.number}《{doc.title}》")
    return doc


#: What staff can correct on a published document, with the names the audit trail gives them.
EDITABLE = (
    ("title", "文件名称"),
    ("issuer", "发文机关"),
    ("number", "文号"),
    ("published_on", "发布日期"),
    ("effective_on", "施行日期"),
    ("summary", "内容摘要"),
)


def as_input(doc: PolicyDocument) -> PolicyInput:
    """A document's current values as the edit form shows them."""
    return PolicyInput(
        title=doc.title,
        issuer=doc.issuer,
        number=doc.number,
        published_on=doc.published_on.isoformat(),
        effective_on=doc.effective_on.isoformat(),
        summary=doc.summary,
    )


def get(session: Session, doc_id: int) -> PolicyDocument:
    doc = session.get(PolicyDocument, doc_id)
    if doc is None:
        raise PolicyRefused("not_found", "没有找到该政策文件。", 404)
    return doc


def edit(session: Session, actor: Actor, doc_id: int, value: PolicyInput) -> tuple[PolicyDocument, list[str]]:
    """Correct a published document (its status and replacement stay as they are). Returns the document and the
    names of the fields that changed; a change is audited with the old and new number, nothing changed is not.
    Does not commit."""
    doc = get(session, doc_id)
    problems, published, effective = check(value)
    if problems:
        raise PolicyRefused("invalid", problems[0][1], 400)
    new = {
        "title": value.title.strip(),
        "issuer": value.issuer.strip(),
        "number": value.number.strip(),
        "published_on": published,
        "effective_on": effective,
        "summary": value.summary.strip(),
    }
    changed = [name for field, name in EDITABLE if getattr(doc, field) != new[field]]
    if not changed:
        return doc, []
    old_number = doc.number
    for field, _name in EDITABLE:
        setattr(doc, field, new[field])
    doc.updated_at = clock.now()
    session.flush()
    renamed = f"（原文号 {old_number}）" if old_number != doc.number else ""
    audit(
        session,
        actor,
        AuditAction.SETTINGS_CHANGED,
        detail=f"修改政策文件 {doc.number}{renamed}《{doc.title}》：{'、'.join(changed)}"[:300],
    )
    return doc, changed


def replace(session: Session, actor: Actor, old_id: int, new_id: int) -> PolicyDocument:
    """Mark document ``old_id`` replaced by ``new_id`` (which must be in force). Does not commit; audited."""
    old, new = session.get(PolicyDocument, old_id), session.get(PolicyDocument, new_id)
    if old is None or new is None:
        raise PolicyRefused("not_found", "没有找到该政策文件。", 404)
    if old.id == new.id:
        raise PolicyRefused("same_document", "一份文件不能被它自己替代。", 400)
    if old.status is PolicyStatus.REPLACED:
        raise PolicyRefused("already_replaced", "该文件已被替代。")
    if new.status is not PolicyStatus.IN_FORCE:
        raise PolicyRefused("replacement_not_in_force", "替代它的文件须为现行有效文件。")
    old.status = PolicyStatus.REPLACED
    old.replaced_by_id = new.id
    old.updated_at = clock.now()
    session.flush()
    audit(session, actor, AuditAction.SETTINGS_CHANGED, detail=f"政策文件 {old.number} 被 {new.number} 替代")
    return old


def listing(session: Session) -> list[PolicyDocument]:
    """Every document, those in force first, newest first."""
    docs = session.scalars(select(PolicyDocument).order_by(PolicyDocument.published_on.desc(), PolicyDocument.id))
    return sorted(docs, key=lambda d: d.status is not PolicyStatus.IN_FORCE)
