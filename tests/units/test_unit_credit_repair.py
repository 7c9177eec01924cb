"""A listed unit applies online for credit repair through a clerk who acts for it (GB/T 31621 19; LD/T 01 5.6.3):
the clerk logs in as a person, steps up, chooses to act for the unit, and needs the unit's grant to apply."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway import clock
from gateway.public_info import credit
from gateway.public_info.models import CreditEntry, RepairStatus
from gateway.staff.models import StaffRole
from tests.conftest import csrf_token, staff_login
from tests.units.conftest import DEMO_CODE
from tests.units.test_unit_web import act_for_unit, add_clerk, cert_login

CONSOLE = "/hotline/info/credit"


@pytest.fixture
def listed_unit(app, make_staff, database_url) -> int:
    """The demo unit put on the list by a supervisor in the console; returns the entry's id."""
    staff = app.test_client()
    assert staff_login(staff, database_url, make_staff(StaffRole.SUPERVISOR, name="信用科")).status_code == 302
    number = f"示人社罚〔2026〕{clock.now().microsecond}号"
    data = {
        "party": "unit",
        "name": "示例市秦川信息科技有限公司",
        "code": DEMO_CODE,
        "behaviour": "未按时足额缴纳社会保险费，经责令仍拒不缴纳",
        "legal_basis": "《社会保险经办条例》第五十五条",
        "document_number": number,
        "document_date": "2026-10-15",
        "publish_until": (clock.today() + timedelta(days=365)).isoformat(),
        "csrf_token": csrf_token(staff.get(CONSOLE).get_data(as_text=True)),
    }
    assert staff.post(CONSOLE, data=data).status_code == 302
    with app.app_context():
        from gateway.request_db import get_session

        return get_session().scalar(select(CreditEntry.id).where(CreditEntry.document_number == number))


def _apply(clerk, entry_id: int):
    page = clerk.get("/info/credit").get_data(as_text=True)
    assert re.search(rf'action="/info/credit/{entry_id}/unit-repair"', page), "the unit's own entry offers repair"
    return clerk.post(
        f"/info/credit/{entry_id}/unit-repair",
        data={"csrf_token": csrf_token(page), "statement": "已补缴全部欠费及滞纳金。"},
    )


def test_a_clerk_with_the_apply_grant_applies_for_the_units_repair(app, demo_pki, member, sms_inbox, listed_unit):
    holder = app.test_client()
    cert_login(holder, demo_pki)
    assert add_clerk(holder, member, ["apply"]).status_code == 302
    clerk = app.test_client()
    assert act_for_unit(clerk, member, sms_inbox).location == "/unit/"

    resp = _apply(clerk, listed_unit)
    assert resp.status_code == 302 and resp.location.endswith("/info/credit?repair=sent#mine")
    assert "审核中" in clerk.get("/info/credit").get_data(as_text=True)
    with app.app_context():
        from gateway.request_db import get_session

        repair = credit.repairs_of(get_session(), [listed_unit])[listed_unit]
        assert repair.status is RepairStatus.PENDING and "补缴" in repair.statement


def test_a_clerk_without_the_apply_grant_cannot_apply(app, demo_pki, member, sms_inbox, listed_unit):
    holder = app.test_client()
    cert_login(holder, demo_pki)
    assert add_clerk(holder, member, ["view_staff"]).status_code == 302
    clerk = app.test_client()
    assert act_for_unit(clerk, member, sms_inbox).location == "/unit/"
    page = clerk.get("/info/credit").get_data(as_text=True)
    denied = clerk.post(
        f"/info/credit/{listed_unit}/unit-repair", data={"csrf_token": csrf_token(page), "statement": "已补缴。"}
    )
    assert denied.status_code == 403 and "没有办理这项业务的授权" in denied.get_data(as_text=True)
    with app.app_context():
        from gateway.request_db import get_session

        assert listed_unit not in credit.repairs_of(get_session(), [listed_unit])
