"""Applying and handling, without Flask: instant rules, due dates, the one-time notice, graded review."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from gateway.applications import service
from gateway.applications.models import ActorKind, ApplicationStatus
from gateway.applications.uploads import IncomingFile
from gateway.catalog import load_catalog
from gateway.problems import UserError
from notify.models import NotifyMessage
from tests.applications.conftest import NOW, PENSION_A, PENSION_B, UNEMPLOYMENT_A, passed_face_check

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OTHER_ID = "610302198805120210"  # someone else's valid ID number (the demo employee)


# Each service call below stands for one request: it commits when the call succeeds, as the request boundary
# would, and a refused call is followed by the test's own rollback.


def draft(db, person, item_id: str, **form):
    item = load_catalog().get(item_id)
    values = {"phone": "13800138000", **form}
    app, errors = service.save_form(db, person.id, item, values, now=NOW)
    assert errors == []
    db.commit()
    return app


def submit(db, backoffice, app, id_number, risk=False):
    sent = service.submit(db, app, backoffice=backoffice, id_number=id_number, risk_confirmed=risk, now=NOW)
    db.commit()
    return sent


def messages(db, app) -> list[NotifyMessage]:
    return list(db.scalars(select(NotifyMessage).where(NotifyMessage.idempotency_key.like(f"application:{app.id}:%"))))


def test_instant_item_is_decided_at_once_and_told(db, backoffice, gateway_person, accounts):
    who = next(a for a in accounts if a.key == "unemployed")  # the back office has few unemployed people
    person = gateway_person(who.id_number)
    app = draft(db, person, "flexible-employment-contribution", grade="100", cycle="year")
    submit(db, backoffice, app, who.id_number)
    assert app.status is ApplicationStatus.APPROVED
    assert app.result == "已核定：自2026年11月起按100%档次、按年缴费。"
    assert app.number == f"SQ20261123{app.id:06d}"
    assert [e.status for e in app.events] == [ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED]
    assert app.events[1].actor_kind is ActorKind.SYSTEM
    sent = messages(db, app)
    assert {m.template for m in sent} == {"application_progress", "application_result"}
    result = next(m for m in sent if m.template == "application_result" and m.channel == "inbox")
    assert "准予办理" in result.body and app.number in result.body


def test_instant_rule_refuses_someone_employed_by_a_unit(db, backoffice, gateway_person, take):
    who = take("working", employed=True)
    app = draft(db, gateway_person(who.id_number), "flexible-employment-contribution", grade="60", cycle="month")
    submit(db, backoffice, app, who.id_number)
    assert app.status is ApplicationStatus.REJECTED
    unit = backoffice.find_person(who.id_number).unit_name
    assert app.result.startswith(f"您目前由“{unit}”参保缴费")


def test_eligibility_certification_for_a_retiree_and_a_worker(db, backoffice, gateway_person, take):
    old, young = take("retired"), take("working", employed=True)
    retiree = draft(db, gateway_person(old.id_number), "eligibility-certification")
    passed_face_check(db, retiree, NOW)
    submit(db, backoffice, retiree, old.id_number)
    assert retiree.status is ApplicationStatus.APPROVED
    assert retiree.result == "资格认证通过，有效期至2027年11月23日。"
    worker = draft(db, gateway_person(young.id_number), "eligibility-certification")
    passed_face_check(db, worker, NOW)
    submit(db, backoffice, worker, young.id_number)
    assert worker.status is ApplicationStatus.REJECTED


def test_form_errors_are_all_returned_together(db, stranger):
    person, _ = stranger
    item = load_catalog().get("flexible-employment-contribution")
    app, errors = service.save_form(db, person.id, item, {"grade": "999", "phone": "123"}, now=NOW)
    assert app is None
    assert [f for f, _ in errors] == ["grade", "cycle", "phone"]
    assert dict(errors)["cycle"] == "请选择缴费方式。"


def test_promised_item_gets_its_due_date_in_working_days(db, backoffice, stranger):
    # Received Mon 23 Nov 2026; 10 working days from Tue 24: 24–27 (4), 30 Nov–4 Dec (9), Mon 7 Dec (10).
    person, id_number = stranger
    app = submit(db, backoffice, draft(db, person, "skills-subsidy-claim", certificate_number="S1"), id_number)
    assert app.status is ApplicationStatus.SUBMITTED
    assert app.due_date == date(2026, 12, 7)
    assert not app.due_provisional
    assert app.department == "失业保险科"


def test_due_date_running_into_an_unloaded_year_is_provisional(db, backoffice, stranger):
    # 20 working days from Mon 21 Dec 2026: 22–24 Dec (3), 25 Dec (4), 28–31 Dec (8), then 2027, which no
    # one has loaded: weekends only — 1 Jan (9), 4–8 Jan (14), 11–15 Jan (19), Mon 18 Jan (20), provisional.
    from datetime import datetime

    person, id_number = stranger
    app = draft(db, person, "retirement-pension-claim")
    service.submit(
        db,
        app,
        backoffice=backoffice,
        id_number=id_number,
        risk_confirmed=False,
        now=datetime(2026, 12, 21, 9),
    )
    assert app.due_date == date(2027, 1, 18)
    assert app.due_provisional


def test_risky_item_needs_the_confirmation(db, backoffice, stranger):
    person, id_number = stranger
    app = draft(db, person, "pension-account-withdrawal", reason="abroad")
    with pytest.raises(UserError) as exc:
        submit(db, backoffice, app, id_number, risk=False)
    assert exc.value.code == "risk_not_confirmed"
    db.rollback()
    assert app.status is ApplicationStatus.DRAFT and app.number is None
    submit(db, backoffice, app, id_number, risk=True)
    assert app.status is ApplicationStatus.SUBMITTED and app.risk_confirmed


def test_one_time_notice_then_supplement_without_starting_over(db, backoffice, stranger, var_dir):
    person, id_number = stranger
    app = draft(db, person, "skills-subsidy-claim", certificate_number="S2")
    service.add_materials(db, app, [IncomingFile("职业资格证书或职业技能等级证书", "cert.png", PNG)], var_dir, now=NOW)
    submit(db, backoffice, app, id_number)
    service.accept(db, app, UNEMPLOYMENT_A, now=NOW)
    problems = ["证书照片模糊，请重新拍摄上传。", "证书编号与照片不一致，请核对后填写。", "  "]
    service.request_supplement(db, app, UNEMPLOYMENT_A, problems, now=NOW)
    db.commit()
    assert app.status is ApplicationStatus.SUPPLEMENT_REQUESTED
    assert service.notice(app) == problems[:2]  # every problem, in one notice
    with pytest.raises(UserError):  # a second notice while one is outstanding is refused
        service.request_supplement(db, app, UNEMPLOYMENT_A, ["又一个问题"], now=NOW)
    db.rollback()
    number = app.number
    service.supplement(
        db,
        app,
        person.id,
        note="证书编号应为 S2-2026。",
        files=[IncomingFile("职业资格证书或职业技能等级证书", "clear.png", PNG)],
        var_dir=var_dir,
        now=NOW,
    )
    assert app.status is ApplicationStatus.SUPPLEMENTED and app.number == number
    assert [m.filename for m in service.current_materials(app)] == ["clear.png"]
    assert len(app.materials) == 2  # the first file stays for the trail
    service.approve(db, app, UNEMPLOYMENT_A, now=NOW)
    assert app.status is ApplicationStatus.APPROVED
    steps = [e.status for e in app.events]
    assert steps == [
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.ACCEPTED,
        ApplicationStatus.SUPPLEMENT_REQUESTED,
        ApplicationStatus.SUPPLEMENTED,
        ApplicationStatus.APPROVED,
    ]
    # Every step told to the applicant: one message per event on the inbox channel.
    inbox = [m for m in messages(db, app) if m.channel == "inbox"]
    assert len(inbox) == len(steps)


def test_graded_review_needs_a_second_staff_member(db, backoffice, stranger):
    person, id_number = stranger
    app = submit(db, backoffice, draft(db, person, "pension-account-withdrawal", reason="abroad"), id_number, True)
    service.accept(db, app, PENSION_A, now=NOW)
    service.approve(db, app, PENSION_A, now=NOW)
    db.commit()
    assert app.status is ApplicationStatus.FIRST_APPROVED and app.first_reviewer == PENSION_A.staff_id
    with pytest.raises(UserError) as exc:
        service.approve(db, app, PENSION_A, now=NOW)  # the same staff member cannot approve twice
    assert exc.value.code == "same_reviewer"
    db.rollback()
    assert app.status is ApplicationStatus.FIRST_APPROVED
    service.approve(db, app, PENSION_B, now=NOW, text="准予一次性支付个人账户储存额。")
    assert app.status is ApplicationStatus.APPROVED and app.decided_by == PENSION_B.staff_id


def test_ordinary_item_is_approved_by_one_staff_member(db, backoffice, stranger):
    person, id_number = stranger
    app = submit(db, backoffice, draft(db, person, "retirement-pension-claim"), id_number)
    service.accept(db, app, PENSION_A, now=NOW)
    service.approve(db, app, PENSION_A, now=NOW)
    assert app.status is ApplicationStatus.APPROVED


def test_staff_of_another_department_and_wrong_order_are_refused(db, backoffice, stranger):
    person, id_number = stranger
    app = submit(db, backoffice, draft(db, person, "retirement-pension-claim"), id_number)
    with pytest.raises(UserError) as exc:
        service.accept(db, app, UNEMPLOYMENT_A, now=NOW)
    assert exc.value.status == 403
    with pytest.raises(UserError) as exc:
        service.approve(db, app, PENSION_A, now=NOW)  # not accepted yet
    assert exc.value.status == 409
    with pytest.raises(UserError):
        service.reject(db, app, PENSION_A, "   ", now=NOW)
    db.rollback()
    service.reject(db, app, PENSION_A, "未达到法定退休年龄。", now=NOW)
    assert app.status is ApplicationStatus.REJECTED and app.result == "未达到法定退休年龄。"
    service.archive(db, app, PENSION_A, now=NOW)
    assert app.status is ApplicationStatus.ARCHIVED


def test_work_queue_flags_overdue_items(db, backoffice, stranger):
    person, id_number = stranger
    app = submit(db, backoffice, draft(db, person, "retirement-pension-claim"), id_number)
    queue = service.work_queue(db, "养老保险科", app.due_date)
    entry = next(e for e in queue if e.application.id == app.id)
    assert not entry.overdue and entry.days_left == 0
    late = service.work_queue(db, "养老保险科", date(2027, 1, 4))
    assert next(e for e in late if e.application.id == app.id).overdue
    assert all(e.application.department == "养老保险科" for e in late)
    assert not any(e.application.id == app.id for e in service.work_queue(db, "失业保险科", app.due_date))


def test_appointment_item_is_prereviewed_and_missing_copies_told_at_once(db, backoffice, stranger, var_dir):
    person, id_number = stranger
    app = submit(db, backoffice, draft(db, person, "work-injury-reimbursement"), id_number)
    # No copies uploaded: one notice naming all four materials of Art. 22 para 2.
    assert app.status is ApplicationStatus.SUPPLEMENT_REQUESTED
    assert len(service.notice(app)) == 4
    files = [
        IncomingFile(m.name, f"{i}.png", PNG)
        for i, m in enumerate(service.uploadable_materials(load_catalog().get(app.item_id)))
    ]
    service.supplement(db, app, person.id, note="", files=files, var_dir=var_dir, now=NOW)
    assert app.status is ApplicationStatus.PREREVIEWED
    assert "收费票据" in app.events[-1].note  # the originals to bring


def test_lookup_needs_both_halves(db, backoffice, stranger, vault, gateway_person):
    person, id_number = stranger
    app = submit(db, backoffice, draft(db, person, "retirement-pension-claim"), id_number)
    assert service.lookup(db, vault, app.number.lower(), id_number).id == app.id
    assert service.lookup(db, vault, app.number, OTHER_ID) is None
    assert service.lookup(db, vault, "SQ20261123999999", id_number) is None
    assert service.lookup(db, vault, app.number, "not an id") is None


def test_receipt_data_for_the_sealed_notices(db, backoffice, stranger, vault):
    person, id_number = stranger
    app = submit(db, backoffice, draft(db, person, "retirement-pension-claim"), id_number)
    data = service.receipt_data(app, vault, person, "示例市社会保险事业管理中心")
    assert data["number"] == app.number and data["due_date"] == app.due_date
    assert data["applicant_id_masked"].startswith("610") and "*" in data["applicant_id_masked"]
    assert data["result"] is None
    assert json.dumps({k: str(v) for k, v in data.items()})


def test_two_staff_members_acting_at_once_cannot_both_move_it(app, db, backoffice, stranger):
    """A second session holding the old state is refused instead of overwriting the first's decision."""
    from sqlalchemy.orm import sessionmaker

    person, id_number = stranger
    application = submit(db, backoffice, draft(db, person, "retirement-pension-claim"), id_number)
    service.accept(db, application, PENSION_A, now=NOW)
    other_db = sessionmaker(bind=app.extensions["shebao_engine"], expire_on_commit=False)()
    try:
        stale = other_db.get(type(application), application.id)  # still "accepted" in that session
        service.reject(db, application, PENSION_A, "材料不全。", now=NOW)
        with pytest.raises(UserError) as exc:
            service.approve(other_db, stale, PENSION_B, now=NOW)
        assert exc.value.status == 409
        other_db.rollback()
    finally:
        other_db.close()
    db.refresh(application)
    assert application.status is ApplicationStatus.REJECTED


def test_the_steps_to_submission_are_counted_for_the_ease_figures(db, backoffice, stranger, var_dir):
    # LD/T 01 7 (ease): saving the form twice, two uploads, one removal and the submission are six steps.
    person, id_number = stranger
    app = draft(db, person, "skills-subsidy-claim", certificate_number="S9")
    assert app.steps == 1
    app = draft(db, person, "skills-subsidy-claim", certificate_number="S10")
    service.add_materials(db, app, [IncomingFile("职业资格证书或职业技能等级证书", "a.png", PNG)], var_dir, now=NOW)
    service.add_materials(db, app, [IncomingFile("职业资格证书或职业技能等级证书", "b.png", PNG)], var_dir, now=NOW)
    service.remove_material(db, app, service.current_materials(app)[0].id, var_dir)
    db.commit()
    assert submit(db, backoffice, app, id_number).steps == 6
