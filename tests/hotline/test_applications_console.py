"""The staff side of online applications in the console: the department's work queue, the steps (accept, the
one-time notice, approve, reject), graded review, material downloads, and the audit trail of every step."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway.applications import service
from gateway.applications.models import ApplicationStatus
from gateway.applications.uploads import IncomingFile
from gateway.catalog import load_catalog
from gateway.clock import local_now
from gateway.identity.service import ensure_person
from gateway.staff.models import AuditAction, AuditEntry, StaffRole
from gateway.validation import make_id_number
from tests.conftest import csrf_token, staff_login

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PENSION = "养老保险科"
UNEMPLOYMENT = "失业保险科"
_people = itertools.count(1)


@pytest.fixture
def db(app):
    session = sessionmaker(bind=app.extensions["shebao_engine"], expire_on_commit=False)()
    yield session
    session.close()


@pytest.fixture
def submitted(app, db, settings):
    """Submit an application as a fresh applicant would; ``days_ago`` moves the submission into the past."""

    def make(item_id: str, days_ago: int = 0, files: list[IncomingFile] = (), **form):
        n = next(_people)
        vault = app.extensions["shebao_vault"]
        person = ensure_person(db, vault, make_id_number("320106", date(1980, 1, 1 + n % 28), 500 + n), f"申请人{n}")
        db.commit()
        now = local_now() - timedelta(days=days_ago)
        item = load_catalog().get(item_id)
        draft, errors = service.save_form(db, person.id, item, {"phone": "13800138000", **form}, now=now)
        assert errors == []
        if files:
            service.add_materials(db, draft, files, settings.var_dir, now=now)
        sent = service.submit(
            db,
            draft,
            backoffice=app.extensions["shebao_backoffice"],
            id_number="",
            risk_confirmed=item.risky,
            now=now,
        )
        db.commit()
        return sent

    return make


def as_staff(app, make_staff, database_url, *roles, department=PENSION):
    """A browser of its own, logged in as a new staff member."""
    staff = make_staff(*roles, department=department)
    client = app.test_client()
    assert staff_login(client, database_url, staff).status_code == 302
    return client, staff


def act(client, number: str, action: str, **form):
    page = client.get(f"/hotline/applications/{number}")
    return client.post(f"/hotline/applications/{number}/{action}", data={**form, "csrf_token": csrf_token(page.text)})


def status_of(db, number: str) -> ApplicationStatus:
    db.expire_all()
    return service.by_number(db, number).status


def steps(db, staff) -> list[AuditEntry]:
    db.expire_all()
    return list(
        db.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.staff_id == staff.id, AuditEntry.action == AuditAction.APPLICATION_STEP)
            .order_by(AuditEntry.id)
        )
    )


def test_queue_is_the_departments_own_with_overdue_first(app, db, make_staff, database_url, submitted):
    late = submitted("retirement-pension-claim", days_ago=60)
    fresh = submitted("retirement-pension-claim")
    elsewhere = submitted("skills-subsidy-claim", certificate_number="ZS-1")
    client, _ = as_staff(app, make_staff, database_url, StaffRole.REVIEWER)

    assert "网上申请待办" in client.get("/hotline/").text
    page = client.get("/hotline/applications/")
    assert page.status_code == 200
    html = page.text
    assert late.number in html and fresh.number in html
    assert elsewhere.number not in html  # another department's application
    assert html.index(late.number) < html.index(fresh.number)
    late_row = re.search(rf"<tr[^>]*>\s*<td[^>]*><a[^>]*>{late.number}</a>.*?</tr>", html, re.S).group(0)
    assert 'class="overdue"' in late_row and "已超期" in late_row
    fresh_row = re.search(rf"<tr[^>]*>\s*<td[^>]*><a[^>]*>{fresh.number}</a>.*?</tr>", html, re.S).group(0)
    assert "已超期" not in fresh_row
    assert "已超过办结时限" in html

    # Filter by status: accept the fresh one, then it is under 已受理 and no longer under 已提交.
    assert act(client, fresh.number, "accept").status_code == 302
    accepted = client.get("/hotline/applications/?status=accepted").text
    assert fresh.number in accepted and late.number not in accepted
    waiting = client.get("/hotline/applications/?status=submitted").text
    assert late.number in waiting and fresh.number not in waiting
    # The application page flags it too.
    assert "overdue-flag" in client.get(f"/hotline/applications/{late.number}").text


def test_other_departments_and_other_posts_cannot_see_or_act(app, db, make_staff, database_url, submitted):
    pension = submitted("retirement-pension-claim")
    outsider, staff = as_staff(app, make_staff, database_url, StaffRole.REVIEWER, department=UNEMPLOYMENT)
    assert outsider.get(f"/hotline/applications/{pension.number}").status_code == 404
    page = outsider.get("/hotline/")
    for action, form in (("accept", {}), ("reject", {"reason": "不符合条件。"}), ("supplement", {"problems": "x"})):
        answer = outsider.post(
            f"/hotline/applications/{pension.number}/{action}", data={**form, "csrf_token": csrf_token(page.text)}
        )
        assert answer.status_code == 404
    assert status_of(db, pension.number) is ApplicationStatus.SUBMITTED
    assert steps(db, staff) == []

    agent, _ = as_staff(app, make_staff, database_url, StaffRole.AGENT)
    assert agent.get("/hotline/applications/").status_code == 403
    assert agent.get(f"/hotline/applications/{pension.number}").status_code == 403
    assert "网上申请待办" not in agent.get("/hotline/").text

    anonymous = app.test_client().get("/hotline/applications/")
    assert anonymous.status_code == 302 and "/hotline/login" in anonymous.headers["Location"]


def test_accept_notice_supplement_approve_each_audited(app, db, make_staff, database_url, submitted, settings):
    application = submitted(
        "skills-subsidy-claim",
        certificate_number="ZS-2",
        files=[IncomingFile("职业资格证书或职业技能等级证书", "证书.png", PNG)],
    )
    number = application.number
    client, staff = as_staff(app, make_staff, database_url, StaffRole.REVIEWER, department=UNEMPLOYMENT)

    page = client.get(f"/hotline/applications/{number}")
    assert page.status_code == 200
    applicant = application.person_id
    assert "申请人" in page.text and "ZS-2" in page.text and "证书.png" in page.text and "办结时限" in page.text
    id_shown = re.search(r'id="applicant">([^<]+)<', page.text).group(1)
    assert "*" in id_shown  # the ID number is masked

    accepted = act(client, number, "accept")
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith(f"/{number}?done=accept")
    assert status_of(db, number) is ApplicationStatus.ACCEPTED
    assert service.by_number(db, number).accepted_by == staff.username
    # Accepting again is a service refusal: shown in the page's error summary, not a 500, and not audited.
    again = client.post(f"/hotline/applications/{number}/accept", data={"csrf_token": csrf_token(page.text)})
    assert again.status_code == 409 and 'class="error-summary"' in again.text and "不能受理" in again.text

    blank = act(client, number, "supplement", problems="  \n \n")
    assert blank.status_code == 400 and "请填写需要申请人补正的问题" in blank.text
    too_long = act(client, number, "supplement", problems="好\n" + "长" * 201)
    assert too_long.status_code == 400 and "第2个问题" in too_long.text
    assert status_of(db, number) is ApplicationStatus.ACCEPTED

    problems = "证书照片不清晰，请重新拍摄。\n\n  请补充说明取得证书的时间。  \n"  # blank lines and spaces dropped
    told = act(client, number, "supplement", problems=problems)
    assert told.status_code == 302
    db.expire_all()
    row = service.by_number(db, number)
    assert row.status is ApplicationStatus.SUPPLEMENT_REQUESTED
    assert service.notice(row) == ["证书照片不清晰，请重新拍摄。", "请补充说明取得证书的时间。"]
    shown = client.get(f"/hotline/applications/{number}").text
    assert "等待申请人补正" in shown and "请补充说明取得证书的时间。" in shown

    service.supplement(
        db,
        row,
        applicant,
        note="2026年10月取得。",
        files=[IncomingFile("职业资格证书或职业技能等级证书", "清晰.png", PNG + b"clear")],
        var_dir=settings.var_dir,
        now=local_now(),
    )
    db.commit()
    approved = act(client, number, "approve", text="准予发放技能提升补贴。")
    assert approved.status_code == 302
    db.expire_all()
    row = service.by_number(db, number)
    assert row.status is ApplicationStatus.APPROVED and row.result == "准予发放技能提升补贴。"
    assert row.decided_by == staff.username
    final = client.get(f"/hotline/applications/{number}").text
    assert "办结（准予办理）：准予发放技能提升补贴。" in final

    trail = steps(db, staff)
    assert [e.person_id for e in trail] == [applicant] * 3
    details = [e.detail for e in trail]
    assert details[0] == f"{number} 受理"
    assert details[1].startswith(f"{number} 一次性告知补正（2个问题）")
    assert details[2] == f"{number} 准予办理：准予发放技能提升补贴。"
    # Viewing an applicant's application is traced as well.
    db.expire_all()
    viewed = db.scalars(
        sa.select(AuditEntry).where(AuditEntry.staff_id == staff.id, AuditEntry.action == AuditAction.VIEWED)
    ).all()
    assert viewed and all(e.person_id == applicant for e in viewed)


def test_reject_needs_a_reason_and_then_archive(app, db, make_staff, database_url, submitted):
    number = submitted("retirement-pension-claim").number
    client, staff = as_staff(app, make_staff, database_url, StaffRole.REVIEWER)
    empty = act(client, number, "reject", reason="   ")
    assert empty.status_code == 400 and "不予办理必须写明理由" in empty.text and 'class="error-summary"' in empty.text
    assert status_of(db, number) is ApplicationStatus.SUBMITTED and steps(db, staff) == []

    assert act(client, number, "reject", reason="未达到法定退休年龄。").status_code == 302
    db.expire_all()
    row = service.by_number(db, number)
    assert row.status is ApplicationStatus.REJECTED and row.result == "未达到法定退休年龄。"
    assert "办结（不予办理）：未达到法定退休年龄。" in client.get(f"/hotline/applications/{number}").text
    assert act(client, number, "archive").status_code == 302
    assert status_of(db, number) is ApplicationStatus.ARCHIVED
    assert [e.detail for e in steps(db, staff)] == [f"{number} 不予办理：未达到法定退休年龄。", f"{number} 归档"]


def test_graded_review_needs_a_different_supervisor(app, db, make_staff, database_url, submitted):
    # GB/T 31621 13.3.4: the high-risk item's first and second review are mutually exclusive posts.
    number = submitted("pension-account-withdrawal", reason="abroad").number
    first, first_staff = as_staff(app, make_staff, database_url, StaffRole.REVIEWER, StaffRole.SUPERVISOR)
    assert act(first, number, "accept").status_code == 302
    page = first.get(f"/hotline/applications/{number}").text
    assert "初审通过，转复核" in page and "graded-review" in page
    assert act(first, number, "approve").status_code == 302
    db.expire_all()
    row = service.by_number(db, number)
    assert row.status is ApplicationStatus.FIRST_APPROVED and row.first_reviewer == first_staff.username

    # The same account, although a supervisor, cannot give the second review (nor decide by rejecting).
    page = first.get(f"/hotline/applications/{number}").text
    assert "初审和复核不能由同一人完成" in page and 'action="/hotline/applications/' + number + '/approve"' not in page
    for action, form in (("approve", {"text": "准予。"}), ("reject", {"reason": "不符合条件。"})):
        same = act(first, number, action, **form)
        assert same.status_code == 409
        assert 'class="error-summary"' in same.text and "初审和复核不能由同一人完成（岗位互斥）" in same.text

    # A reviewer who is not a supervisor cannot either.
    reviewer, reviewer_staff = as_staff(app, make_staff, database_url, StaffRole.REVIEWER)
    plain = act(reviewer, number, "approve", text="准予。")
    assert plain.status_code == 403 and "须由复核主管岗位的另一名工作人员复核" in plain.text
    assert status_of(db, number) is ApplicationStatus.FIRST_APPROVED
    assert steps(db, reviewer_staff) == []
    assert len(steps(db, first_staff)) == 2  # accept + first review; the refused attempts left no step

    second, second_staff = as_staff(app, make_staff, database_url, StaffRole.SUPERVISOR)
    done = act(second, number, "approve", text="准予一次性支付个人账户储存额。")
    assert done.status_code == 302
    db.expire_all()
    row = service.by_number(db, number)
    assert row.status is ApplicationStatus.APPROVED and row.decided_by == second_staff.username
    assert row.first_reviewer == first_staff.username
    decision = f"{number} 复核通过，准予办理：准予一次性支付个人账户储存额。"
    assert [e.detail for e in steps(db, second_staff)] == [decision]


def test_material_download_only_to_the_handling_department(app, db, make_staff, database_url, submitted):
    application = submitted(
        "skills-subsidy-claim",
        certificate_number="ZS-3",
        files=[IncomingFile("职业资格证书或职业技能等级证书", "证书.png", PNG)],
    )
    number = application.number
    handler, staff = as_staff(app, make_staff, database_url, StaffRole.REVIEWER, department=UNEMPLOYMENT)
    page = handler.get(f"/hotline/applications/{number}").text
    link = re.search(r'href="(/hotline/applications/[^"]+/files/([0-9]+))"', page)
    got = handler.get(link.group(1))
    assert got.status_code == 200 and got.data == PNG
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in got.headers["Cache-Control"]
    db.expire_all()
    downloads = db.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.staff_id == staff.id,
            AuditEntry.action == AuditAction.VIEWED,
            AuditEntry.detail.like(f"{number} 下载申请材料%"),
        )
    ).all()
    assert len(downloads) == 1 and downloads[0].person_id == application.person_id

    other, _ = as_staff(app, make_staff, database_url, StaffRole.REVIEWER, department=PENSION)
    assert other.get(link.group(1)).status_code == 404
    agent, _ = as_staff(app, make_staff, database_url, StaffRole.AGENT, department=UNEMPLOYMENT)
    assert agent.get(link.group(1)).status_code == 403
    assert app.test_client().get(link.group(1)).status_code == 302  # to the staff login
    assert handler.get(f"/hotline/applications/{number}/files/999999").status_code == 404
