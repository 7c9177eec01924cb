"""Forms that ask the right questions and an eligibility check first (issue 15): the field rules (unit), the
declarations' loader, the core system's rules, and the web page, the API and the staff console over HTTP."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from sqlalchemy import select

from gateway.applications import fields, service
from gateway.applications.models import Application, ApplicationStatus
from gateway.backoffice import eligibility_rules
from gateway.backoffice.interface import PersonRecord, RegistrationRecord
from gateway.backoffice.models import CardStatus, PersonStatus, RegistrationStatus, Scheme
from gateway.catalog import EligibilityCheck, FormsError, load_catalog, load_forms
from gateway.catalog.forms import parse_forms
from gateway.clock import today as beijing_today
from gateway.identity.service import find_person
from gateway.staff.models import StaffRole
from tests.applications.answers import BANK_CARD
from tests.applications.conftest import NOW, essc_login
from tests.conftest import csrf_token

TODAY = date(2026, 11, 23)
CLAIM = "unemployment-benefit-claim"
CHANGE = "person-info-change"


def _fields(item_id: str):
    return load_forms().fields_for(item_id)


def _claim(**over: str) -> dict[str, str]:
    answers = {
        "end_reason": "contract_expired",
        "end_date": "2026-10-31",
        "bank_account": BANK_CARD,
        "bank_name": "中国工商银行宝鸡分行",
        "phone": "13800138000",
        "note": "",
    }
    return {**answers, **over}


# ---------------------------------------------------------------- unit: the field rules


def test_a_complete_claim_is_kept_normalised():
    values, errors = fields.clean(_fields(CLAIM), _claim(bank_account="6222 0202 0011 2233 446"), TODAY)
    assert errors == []
    assert values["bank_account"] == BANK_CARD and values["end_date"] == "2026-10-31"


def test_every_problem_is_told_at_once_in_form_order_in_plain_chinese():
    raw = _claim(end_reason="", end_date="2026-12-01", bank_account="6222020200112233445", phone="12345")
    _, errors = fields.clean(_fields(CLAIM), raw, TODAY)
    assert [name for name, _ in errors] == ["end_reason", "end_date", "bank_account", "phone"]
    messages = dict(errors)
    assert messages["end_reason"] == "请选择失业原因。"
    assert messages["end_date"] == "劳动关系终止日期不能晚于今天（2026年11月23日）。"
    assert "校验不通过" in messages["bank_account"] and "逐位核对" in messages["bank_account"]
    assert "11位数字" in messages["phone"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"end_date": "2026-13-01"}, "不是有效的日期"),
        ({"end_date": "2020-01-01"}, "不能早于2024年11月23日"),
        ({"bank_account": "62220202"}, "应为16至19位数字"),
        ({"end_reason": "bogus"}, "请从列表中选择失业原因。"),
        ({"end_reason": "quit"}, "本人主动辞职属于因本人意愿中断就业"),
        ({"bank_name": "行" * 41}, "开户银行最多40个字，您填写了41个字。"),
        ({"bank_name": ["not", "text"]}, "开户银行的格式不正确"),
    ],
)
def test_each_kind_says_what_is_wrong(raw, message):
    _, errors = fields.clean(_fields(CLAIM), _claim(**raw), TODAY)
    assert len(errors) == 1 and message in errors[0][1]


def test_a_field_is_required_only_for_the_answer_it_belongs_to():
    change = _fields(CHANGE)
    _, errors = fields.clean(change, {"change_item": "address", "phone": "13800138000"}, TODAY)
    assert errors == [("new_address", "请填写新的通讯地址。")]
    values, errors = fields.clean(
        change,
        {"change_item": "address", "new_address": "宝鸡市经二路12号", "new_phone": "139", "phone": "13800138000"},
        TODAY,
    )
    assert errors == [] and "new_phone" not in values  # an answer to a question that does not apply is dropped
    _, errors = fields.clean(change, {"change_item": "name", "new_name": "A1", "phone": "13800138000"}, TODAY)
    assert errors == [("new_name", "姓名只能包含汉字、字母和间隔号“·”，至少2个字。")]
    _, errors = fields.clean(change, {"change_item": "id_number", "phone": "13800138000"}, TODAY)
    assert "请预约窗口办理" in errors[0][1]


def test_staff_see_personal_answers_masked():
    by_name = {f.name: f for f in _fields(CLAIM) + _fields(CHANGE)}
    assert fields.masked_value(by_name["bank_account"], BANK_CARD) == "6222 **** **** 3446"
    assert fields.masked_value(by_name["new_name"], "张新名") == "张**"
    assert fields.masked_value(by_name["phone"], "13800138000") == "138****8000"
    assert "12号" not in fields.masked_value(by_name["new_address"], "陕西省宝鸡市渭滨区经二路12号")
    assert fields.display_value(by_name["end_date"], "2026-10-31") == "2026年10月31日"
    assert fields.masked_value(by_name["end_reason"], "dismissed") == "用人单位解除或终止劳动合同"


# ---------------------------------------------------------------- unit: the declarations


def test_the_shipped_declarations_cover_the_items_of_the_issue():
    forms = load_forms()
    assert forms.of(CLAIM).eligibility is EligibilityCheck.UNEMPLOYMENT_BENEFIT
    assert forms.of("retirement-pension-claim").eligibility is EligibilityCheck.PENSION_CLAIM
    assert {f.name for f in forms.of(CHANGE).fields} >= {"change_item", "new_phone", "new_address", "new_name"}
    assert all(f.personal for f in forms.of(CLAIM).fields if f.name == "bank_account")
    assert [f.name for f in forms.fields_for("skills-subsidy-claim")][-2:] == ["phone", "note"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"items": {"no-such-item": {}}}, "not in the catalog"),
        ({"items": {CLAIM: {"eligibility": "astrology"}}}, "unknown eligibility check"),
        ({"items": {CLAIM: {"fields": [{"name": "x", "label": "某", "kind": "colour"}]}}}, "unknown kind"),
        ({"items": {CLAIM: {"fields": [{"name": "x", "label": "某", "kind": "choice"}]}}}, "needs choices"),
        ({"items": {CLAIM: {"fields": [{"name": "x", "label": "某", "pattern": "^a$"}]}}}, "pattern_message"),
        (
            {"items": {CLAIM: {"fields": [{"name": "x", "label": "某", "required_when": {"y": "z"}}]}}},
            "required_when",
        ),
        (
            {
                "common": [{"name": "phone", "label": "电话"}],
                "items": {CLAIM: {"fields": [{"name": "phone", "label": "电话"}]}},
            },
            "common",
        ),
    ],
)
def test_a_wrong_declaration_fails_at_load_time(data, problem):
    with pytest.raises(FormsError, match=problem):
        parse_forms(data, {item.id for item in load_catalog()})


# ---------------------------------------------------------------- unit: the core system's rules


def _person(status: PersonStatus, unit: str | None, birth=date(1980, 1, 1), gender="M") -> PersonRecord:
    return PersonRecord("x", "某人", birth, gender, "13800138000", "610302", status, unit, "A1", CardStatus.ACTIVE)


_UNEMPLOYMENT = [
    RegistrationRecord(Scheme.UNEMPLOYMENT, RegistrationStatus.ENDED, date(2015, 1, 1), None, None, "610302")
]


def test_unemployment_benefit_rules():
    rule = eligibility_rules.unemployment_benefit
    assert "仍在就业" in rule(_person(PersonStatus.WORKING, "某公司"), _UNEMPLOYMENT, 60).reason
    assert "第十五条" in rule(_person(PersonStatus.RETIRED, None), _UNEMPLOYMENT, 60).reason
    assert "未查询到您参加失业保险" in rule(_person(PersonStatus.UNEMPLOYED, None), [], 60).reason
    short = rule(_person(PersonStatus.UNEMPLOYED, None), _UNEMPLOYMENT, 11)
    assert not short.eligible and "累计11个月，不满一年" in short.reason
    assert rule(_person(PersonStatus.UNEMPLOYED, None), _UNEMPLOYMENT, 12).eligible
    assert not rule(None, [], 0).eligible


@pytest.mark.parametrize(
    ("birth", "gender", "due"),
    [
        (date(1964, 6, 10), "M", date(2024, 6, 10)),  # before the reform: 60
        (date(1965, 3, 10), "M", date(2025, 4, 10)),  # Jan–Apr 1965: 60 and 1 month
        (date(1965, 5, 10), "M", date(2025, 7, 10)),  # May–Aug 1965: 60 and 2 months
        (date(1980, 1, 31), "M", date(2043, 1, 31)),  # at most 36 months: 63
        (date(1975, 2, 28), "F", date(2025, 3, 28)),  # women at 50: one month for every two of birth
        (date(1990, 1, 1), "F", date(2045, 1, 1)),  # at most 60 months: 55
    ],
)
def test_retirement_age_follows_the_gradual_reform(birth, gender, due):
    assert eligibility_rules.retirement_date(birth, gender) == due


def test_pension_claim_rules():
    rule = eligibility_rules.pension_claim
    young = rule(_person(PersonStatus.WORKING, "某公司", birth=date(1970, 1, 1)), 300, TODAY)
    assert not young.eligible and "2031年" in young.reason
    few = rule(_person(PersonStatus.WORKING, None, birth=date(1963, 1, 1)), 150, TODAY)
    assert not few.eligible and "累计缴费12年6个月，不足15年" in few.reason
    assert rule(_person(PersonStatus.WORKING, None, birth=date(1963, 1, 1)), 180, TODAY).eligible


# ---------------------------------------------------------------- service: stored encrypted


def test_personal_answers_are_stored_encrypted_and_read_back(db, vault, stranger):
    person, _ = stranger
    item = load_catalog().get(CLAIM)
    app, errors = service.save_form(db, person.id, item, _claim(), now=NOW, vault=vault)
    db.commit()
    assert errors == [] and BANK_CARD not in app.form_json and BANK_CARD not in (app.fields_enc or "")
    assert json.loads(app.form_json)["end_reason"] == "contract_expired"
    assert service.form_values(app, vault)["bank_account"] == BANK_CARD
    assert "bank_account" not in service.form_values(app)  # without the key: never
    with pytest.raises(ValueError, match="vault"):
        service.save_form(db, person.id, item, _claim(), now=NOW)
    db.rollback()


# ---------------------------------------------------------------- HTTP: web, API, console


def _post(client, path: str, data: dict):
    page = client.get(path)
    return client.post(path, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def test_web_refuses_an_employed_contributor_with_the_reason_before_any_question(client, take):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    page = client.get(f"/services/{CLAIM}/apply")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="not-eligible"' in html
    assert "仍在就业，不能申领失业保险金" in html and "第十四条" in html
    assert 'name="bank_account"' not in html  # nothing to fill in
    token = csrf_token(client.get(f"/services/{CHANGE}/apply").get_data(as_text=True))
    refused = client.post(f"/services/{CLAIM}/apply", data={**_claim(), "csrf_token": token})
    assert refused.status_code == 409, refused.get_data(as_text=True)
    assert "仍在就业" in refused.get_data(as_text=True)
    api = client.post(f"/api/v1/apply/{CLAIM}", json={"fields": _claim()}, headers={"X-CSRFToken": token})
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "not_eligible"
    assert "仍在就业" in api.get_json()["error"]["message"]
    assert client.get(f"/api/v1/apply/{CLAIM}").status_code == 409


def test_web_form_asks_the_items_questions_and_summarises_the_errors(client, app, take):
    who = take("working", employed=True)
    essc_login(client, who.id_number, who.name)
    html = client.get(f"/services/{CHANGE}/apply").get_data(as_text=True)
    assert 'name="change_item"' in html and 'id="new_address"' in html
    assert re.search(r'<input id="new_phone"[^>]*type="tel"[^>]*inputmode="tel"', html, re.S)
    assert 'autocomplete="street-address"' in html
    bad = _post(client, f"/services/{CHANGE}/apply", {"change_item": "address", "phone": "13800138000"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'class="error-summary"' in text
    assert '<a href="#new_address">请填写新的通讯地址。</a>' in text and 'aria-invalid="true"' in text
    good = _post(
        client,
        f"/services/{CHANGE}/apply",
        {"change_item": "address", "new_address": "陕西省宝鸡市渭滨区经二路12号", "phone": "13800138000"},
    )
    assert good.status_code == 302 and good.location.endswith(f"/services/{CHANGE}/apply/materials")
    again = client.get(f"/services/{CHANGE}/apply").get_data(as_text=True)
    assert 'value="陕西省宝鸡市渭滨区经二路12号"' in again  # the person's own answer comes back to them
    confirm = client.get(f"/services/{CHANGE}/apply/confirm").get_data(as_text=True)
    assert "新的通讯地址" in confirm and "陕西省宝鸡市渭滨区经二路12号" in confirm


def test_api_takes_fields_checks_them_the_same_way_and_submits(client, app, take, make_staff, database_url):
    from tests.conftest import staff_login

    who = take("working", employed=False)  # out of a job: no unit pays for them
    verdict = app.extensions["shebao_backoffice"].check_eligibility(
        who.id_number, EligibilityCheck.UNEMPLOYMENT_BENEFIT, beijing_today()
    )
    assert verdict.eligible, verdict.reason
    essc_login(client, who.id_number, who.name)
    csrf = {"X-CSRFToken": csrf_token(client.get(f"/services/{CLAIM}/apply").get_data(as_text=True))}
    form = client.get(f"/api/v1/apply/{CLAIM}").get_json()
    names = [f["name"] for f in form["fields"]]
    assert names[:4] == ["end_reason", "end_date", "bank_account", "bank_name"]
    bank = next(f for f in form["fields"] if f["name"] == "bank_account")
    assert bank["kind"] == "bank_account" and bank["personal"] is True
    bad = client.post(f"/api/v1/apply/{CLAIM}", json={"fields": _claim(bank_account="123", end_reason=7)}, headers=csrf)
    error = bad.get_json()["error"]
    assert bad.status_code == 400 and error["code"] == "invalid_form"
    assert "失业原因" in error["message"] and "16至19位数字" in error["message"]
    end = beijing_today().replace(day=1).isoformat()
    submitted = client.post(
        f"/api/v1/apply/{CLAIM}/submit", json={"confirm_risk": True, "fields": _claim(end_date=end)}, headers=csrf
    )
    assert submitted.status_code == 201, submitted.get_data(as_text=True)
    number = submitted.get_json()["number"]
    staff = make_staff(StaffRole.REVIEWER, department="失业保险科")
    console = app.test_client()
    assert staff_login(console, database_url, staff).status_code == 302
    page = console.get(f"/hotline/applications/{number}").get_data(as_text=True)
    facts = re.search(r'<dl class="facts" id="application-form">(.*?)</dl>', page, re.S).group(1)
    assert "领取失业保险金的银行卡号" in facts and "6222 **** **** 3446" in facts and BANK_CARD not in facts
    assert "劳动合同期满，用人单位不再续订" in facts


def test_eligibility_is_asked_again_at_submission_and_nothing_is_written(client, app, take, database_url):
    """A person who could claim at step 1 and found a job before step 3 is refused at submission, on the web
    and in the API alike, with the reason; the draft stays a draft and nothing else is recorded."""
    import sqlalchemy as sa

    who = take("working", employed=False)
    essc_login(client, who.id_number, who.name)
    token = csrf_token(client.get(f"/services/{CLAIM}/apply").get_data(as_text=True))
    csrf = {"X-CSRFToken": token}
    end = beijing_today().replace(day=1).isoformat()
    step1 = client.post(f"/api/v1/apply/{CLAIM}", json={"fields": _claim(end_date=end)}, headers=csrf)
    assert step1.status_code == 200, step1.get_data(as_text=True)
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as conn:  # meanwhile a unit takes them on and pays for them
            unit = conn.scalar(sa.text("SELECT id FROM bo_unit ORDER BY id LIMIT 1"))
            conn.execute(
                sa.text("UPDATE bo_person SET unit_id = :unit WHERE id_number = :id"),
                {"unit": unit, "id": who.id_number},
            )
        page = client.get(f"/services/{CLAIM}/apply/confirm")
        assert page.status_code == 200, page.get_data(as_text=True)
        web = client.post(
            f"/services/{CLAIM}/apply/confirm",
            data={"confirm_risk": "y", "csrf_token": csrf_token(page.get_data(as_text=True))},
        )
        text = web.get_data(as_text=True)
        assert web.status_code == 409 and "仍在就业，不能申领失业保险金" in text and 'id="not-eligible"' in text
        api = client.post(f"/api/v1/apply/{CLAIM}/submit", json={"confirm_risk": True}, headers=csrf)
        assert api.status_code == 409, api.get_data(as_text=True)
        error = api.get_json()["error"]
        assert error["code"] == "not_eligible" and "仍在就业" in error["message"]
    finally:
        engine.dispose()
    with app.app_context():
        from gateway.request_db import get_session

        vault = app.extensions["shebao_vault"]
        person = find_person(get_session(), vault, who.id_number)
        drafts = get_session().scalars(select(Application).where(Application.person_id == person.id)).all()
        assert [(a.item_id, a.status, a.number, a.submitted_at, a.events) for a in drafts] == [
            (CLAIM, ApplicationStatus.DRAFT, None, None, [])
        ]
