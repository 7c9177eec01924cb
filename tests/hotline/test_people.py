"""The console's account look-up needs a basis — the agent's verified caller or a supervisor's stated reason — takes
the ID number by POST only, names the account to unlock by a signed reference and shows times in Beijing time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from gateway.identity.models import EventKind, IdentityEvent
from gateway.identity.service import find_person
from gateway.security.pii import PiiVault
from gateway.staff.models import AuditAction, Staff, StaffRole
from gateway.validation import describe_document, mask_id_number
from tests.conftest import TEST_SECRET, StaffLogin, csrf_token, staff_login
from tests.hotline.helpers import audit_rows, post_form, verify

PAGE = "/hotline/people/"


@pytest.fixture
def supervisor(client, make_staff, database_url) -> StaffLogin:
    """A supervisor logged in on ``client``."""
    made = make_staff(StaffRole.SUPERVISOR, name="复核主管甲")
    assert staff_login(client, database_url, made).status_code == 302
    return made


def _searches(db, staff: StaffLogin):
    return [row for row in audit_rows(db, staff.id) if row.action is AuditAction.PERSON_SEARCHED]


def test_an_agent_without_a_verified_caller_cannot_look_anyone_up(client, agent, caller, db):
    refused = post_form(client, PAGE, {"id_number": caller.id_number})
    assert refused.status_code == 400
    assert "核验来电人身份" in refused.text and mask_id_number(caller.id_number) not in refused.text
    assert _searches(db, agent) == []


def test_the_page_offers_no_number_field_without_a_basis(client, agent):
    page = client.get(PAGE)
    assert page.status_code == 200
    assert 'id="no-basis"' in page.text and 'name="id_number"' not in page.text


def test_an_agent_looks_up_the_verified_caller_and_it_is_audited(client, agent, caller, sms_inbox, db):
    verify(client, caller, sms_inbox)
    found = post_form(client, PAGE, {})
    assert found.status_code == 200
    assert mask_id_number(caller.id_number) in found.text and caller.id_number not in found.text
    person = find_person(db, PiiVault(TEST_SECRET), caller.id_number)
    (entry,) = _searches(db, agent)[-1:]
    assert entry.person_id == person.id and "来电人已通过短信验证码核验" in entry.detail


def test_a_delegation_covers_only_the_caller(client, agent, caller, take_caller, sms_inbox, db):
    verify(client, caller, sms_inbox)
    someone_else = take_caller()
    refused = post_form(client, PAGE, {"id_number": someone_else.id_number})
    assert refused.status_code == 400 and "只能查询当前来电人本人" in refused.text
    assert mask_id_number(someone_else.id_number) not in refused.text


def test_a_supervisor_must_state_a_reason(client, supervisor, caller, db):
    refused = post_form(client, PAGE, {"id_number": caller.id_number, "reason": ""})
    assert refused.status_code == 400 and "请填写查询理由" in refused.text
    assert _searches(db, supervisor) == []


def test_a_supervisors_reason_is_in_the_audit_trail(client, supervisor, caller, db):
    found = post_form(client, PAGE, {"id_number": caller.id_number, "reason": "群众到窗口投诉无法登录，已核验身份证"})
    assert found.status_code == 200 and mask_id_number(caller.id_number) in found.text
    (entry,) = _searches(db, supervisor)
    assert "群众到窗口投诉无法登录" in entry.detail and caller.id_number not in entry.detail


def test_the_number_in_a_url_looks_nothing_up(client, supervisor, caller, db):
    page = client.get(PAGE, query_string={"id_number": caller.id_number, "reason": "理由写在地址里"})
    assert page.status_code == 200
    assert mask_id_number(caller.id_number) not in page.text
    assert _searches(db, supervisor) == []


def test_login_times_are_shown_in_beijing_time(client, supervisor, accounts, db):
    someone = accounts[-1]
    person = find_person(db, PiiVault(TEST_SECRET), someone.id_number)
    db.add(
        IdentityEvent(
            person_id=person.id, kind=EventKind.LOGIN, method="password", channel="web",
            created_at=datetime(2026, 11, 20, 1, 30, tzinfo=UTC),
        )
    )  # fmt: skip
    db.commit()
    found = post_form(client, PAGE, {"id_number": someone.id_number, "reason": "核对登录异常的来电"})
    assert "2026-11-20 09:30" in found.text  # 01:30 UTC is 09:30 in Beijing
    assert "登录成功" in found.text


def test_an_unlock_reference_of_another_staff_member_is_refused(client, app, supervisor, make_staff, accounts, db):
    from gateway.security.refs import References

    other = References(TEST_SECRET, "hotline-people-account", 900).make(
        staff=supervisor.id + 100000, person=1, basis="reason", why="x"
    )
    page = client.get(PAGE)
    refused = client.post(PAGE, data={"action": "unlock", "ref": other, "csrf_token": csrf_token(page.text)})
    assert refused.status_code == 400 and "请重新查询" in refused.text


def test_a_stored_ciphertext_posted_to_the_page_is_never_decrypted(client, supervisor, make_staff, db):
    """The old unlock form carried the number encrypted with the one PII key, and the page decrypted whatever it was
    handed: an administrator's stored TOTP seed came back in clear."""
    admin = make_staff(StaffRole.ADMIN)
    sealed = db.get(Staff, admin.id).totp_secret_enc
    page = client.get(PAGE)
    answer = client.post(PAGE, data={"subject": sealed, "action": "unlock", "csrf_token": csrf_token(page.text)})
    assert admin.totp_secret not in answer.text
    assert admin.totp_secret[:3] not in answer.text


@pytest.mark.parametrize(
    ("key", "how"),
    [("hongkong", "document"), ("foreigner2023", "passport"), ("passport", "document"), ("taiwan", "card")],
)
def test_a_supervisor_finds_a_person_by_any_document_or_the_card_number(client, app, supervisor, db, key, how):
    """LD/T 01 6.2.3 b–d (issue 20): the residence permit, a permanent resident's passport, a passport holder's
    passport and the social security card number each find the one person."""
    from gateway.backoffice.demo import DEMO_DOCUMENT_PEOPLE
    from gateway.clients import get_backoffice

    holder = next(d for d in DEMO_DOCUMENT_PEOPLE if d.key == key)
    if how == "card":
        with app.app_context():
            card = get_backoffice().find_person(holder.social_security_number).card_number
        form = {"doc_type": "ss_card", "id_number": card.lower()}
    else:
        doc_type, number = holder.documents[-1] if how == "passport" else holder.documents[0]
        country = ""
        if ":" in number:
            country, number = number.split(":")
        form = {"doc_type": doc_type.value, "country": country, "id_number": number}
    found = post_form(client, PAGE, {**form, "reason": "群众到窗口办理，已核验证件"})
    assert found.status_code == 200, found.text
    assert mask_id_number(holder.social_security_number) in found.text and "已开通" in found.text
    assert holder.social_security_number not in found.text
    # The heading names the document the person is known by, masked — a passport as a passport, not as an ID.
    heading = re.search(r'id="found-document">([^<]*)<', found.text).group(1)
    assert heading == " ".join(describe_document(holder.doc_type, holder.doc_number))
    assert holder.doc_number not in found.text
    (entry,) = _searches(db, supervisor)
    assert holder.social_security_number not in entry.detail


def test_an_unknown_card_or_document_is_refused_with_what_was_not_found(client, supervisor, db):
    card = post_form(client, PAGE, {"doc_type": "ss_card", "id_number": "Z99999999", "reason": "核对卡号"})
    assert card.status_code == 400 and "没有查到该社会保障卡卡号" in card.text
    permit = post_form(client, PAGE, {"doc_type": "hmt_permit", "id_number": "610302198805120210", "reason": "核对"})
    assert permit.status_code == 400 and "地区代码不是港澳台居住证" in permit.text
    assert _searches(db, supervisor) == []
