"""Helpers for the 12333 caller tests: the verification as an agent does it, forms with their CSRF token, the
code in the SMS sandbox's text, the audit rows of one staff member. The fixtures are in ``conftest.py``."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from gateway.staff.models import AuditEntry
from tests.conftest import csrf_token


@dataclass(frozen=True)
class CallerInfo:
    id_number: str
    name: str
    phone: str


def caller_code(texts: list[str]) -> str:
    match = re.search(r"验证码(\d{6})", texts[-1])
    assert match and "12333" in texts[-1], texts[-1]
    return match.group(1)


def post_form(client, path: str, data: dict, page_path: str | None = None):
    """GET a page for its CSRF token, then POST ``data`` to ``path``."""
    page = client.get(page_path or path)
    assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
    return client.post(path, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def verify(client, who: CallerInfo, sms_inbox) -> None:
    """The agent types the caller's ID number and name, then the code the caller reads back."""
    sent = post_form(client, "/hotline/callers/", {"id_number": who.id_number, "name": who.name})
    assert sent.status_code == 302 and sent.headers["Location"] == "/hotline/callers/code", sent.text
    done = post_form(client, "/hotline/callers/code", {"code": caller_code(sms_inbox(who.phone))})
    assert done.status_code == 302 and done.headers["Location"] == "/hotline/callers/caller", done.text


def audit_rows(db: Session, staff_id: int) -> list[AuditEntry]:
    db.expire_all()
    return list(db.scalars(sa.select(AuditEntry).where(AuditEntry.staff_id == staff_id).order_by(AuditEntry.id)))
