"""The mailbox's time limits are the operator's settings (SHEBAO_CONSULT_DAYS_<KIND>, checked at start-up, shown
on the form), and the person's message carries what staff wrote — masked, whole in the inbox, short by SMS
(LD/T 01 5.5.3, 5.5.5)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway import create_app
from gateway.config import CONSULT_DAYS, ConfigError, Settings
from gateway.consult.mailbox import SMS_BRIEF, TIME_LIMITS, due_date, message_text, time_limits
from gateway.consult.models import CaseKind
from gateway.request_db import get_session
from gateway.staff.models import StaffRole
from notify.kinds import Channel
from notify.models import NotifyMessage
from notify.rendering import load_templates, sms_length
from tests.conftest import login, staff_login
from tests.consult.test_http import case_id, console_post, submit


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("SHEBAO_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SHEBAO_ENV", raising=False)
    for kind in CONSULT_DAYS:
        monkeypatch.delenv(f"SHEBAO_CONSULT_DAYS_{kind.upper()}", raising=False)
    return monkeypatch


def test_the_defaults_are_the_limits_the_mailbox_had(env) -> None:
    settings = Settings.from_env()
    assert (
        time_limits(settings)
        == TIME_LIMITS
        == {
            CaseKind.CONSULTATION: 5,
            CaseKind.SUGGESTION: 15,
            CaseKind.COMPLAINT: 10,
            CaseKind.REPORT: 10,
        }
    )
    assert set(CONSULT_DAYS) == {k.value for k in CaseKind}


def test_the_operator_sets_a_limit_per_kind(env) -> None:
    env.setenv("SHEBAO_CONSULT_DAYS_COMPLAINT", "7")
    limits = time_limits(Settings.from_env())
    assert limits[CaseKind.COMPLAINT] == 7 and limits[CaseKind.CONSULTATION] == 5
    # Received 2026-09-24 (Thu): 5 working days end on 10-09 (the National Day holiday skipped), 7 on 10-12.
    assert due_date(CaseKind.COMPLAINT, date(2026, 9, 24), limits).date == date(2026, 10, 12)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", r"SHEBAO_CONSULT_DAYS_REPORT=0 is not a usable time limit: .*from 1 to 60 \(default 10\)"),
        ("61", r"SHEBAO_CONSULT_DAYS_REPORT=61 is not a usable time limit"),
        ("-3", r"SHEBAO_CONSULT_DAYS_REPORT=-3"),
        ("ten", r"SHEBAO_CONSULT_DAYS_REPORT must be an integer, got 'ten'"),
    ],
)
def test_a_bad_limit_stops_the_start_with_a_clear_message(env, value: str, message: str) -> None:
    env.setenv("SHEBAO_CONSULT_DAYS_REPORT", value)
    with pytest.raises(ConfigError, match=message):
        Settings.from_env()


def test_settings_made_in_code_are_checked_too(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="consult_days must name exactly the kinds"):
        dataclasses.replace(settings, consult_days={"consultation": 5}).check()
    with pytest.raises(ConfigError, match="SHEBAO_CONSULT_DAYS_SUGGESTION"):
        create_app(dataclasses.replace(settings, consult_days={**CONSULT_DAYS, "suggestion": 0}))


def test_the_form_and_the_filed_case_show_the_operators_limit(settings: Settings) -> None:
    app = create_app(dataclasses.replace(settings, consult_days={**CONSULT_DAYS, "complaint": 7}))
    app.config["TESTING"] = True
    try:
        client = app.test_client()
        form = client.get("/consult/").get_data(as_text=True)
        hint = re.search(r'id="kind-complaint-hint">([^<]+)<', form).group(1)
        assert hint == "7个工作日内答复"
        assert re.search(r'id="kind-consultation-hint">([^<]+)<', form).group(1) == "5个工作日内答复"
        _, _, done = submit(client, {"kind": "complaint", "topic": "service", "subject": "态度", "body": "窗口态度差"})
        assert "7个工作日内" in done
        filed = client.post(
            "/api/v1/consult/cases", json={"kind": "complaint", "topic": "card", "subject": "补卡", "body": "太慢"}
        )
        assert filed.status_code == 201 and filed.json["limit_days"] == 7
    finally:
        app.extensions["shebao_engine"].dispose()


# ---------------------------------------------------------------- what the person is told


def test_message_text_is_masked_on_one_line_and_short_for_sms() -> None:
    reply = "您好：\n已查到身份证110101199003074514名下的缴费记录，{请}到窗口打印，电话13800138000。" + "谢谢" * 30
    full, brief = message_text(reply)
    assert "110101199003074514" not in full and "13800138000" not in full
    assert "110*************14" in full and "138******00" in full
    assert "\n" not in full and "{" not in full and "｛请｝" in full
    assert full.endswith("谢谢") and sms_length(brief) <= SMS_BRIEF and brief.endswith("…")
    assert message_text("已办结")[1] == "已办结"  # short text is not cut
    assert sms_length(message_text("😀" * 50)[1]) <= SMS_BRIEF  # astral characters count twice in an SMS


def test_the_template_fits_every_reply_in_the_sms_limit() -> None:
    templates = load_templates()
    full, brief = message_text("办" * 1000)
    rendered = templates.render(
        "consult_update", {"kind": "投诉", "number": "ZX20261204000001", "step": "已答复", "text": full, "brief": brief}
    )
    assert sms_length(rendered.sms_text) <= templates.sms.max_chars
    assert rendered.body.endswith("办" * 10) and "办" * 1000 in rendered.body


def test_the_person_is_told_the_reply_itself(client, app, person, make_staff, database_url) -> None:
    login(client, person.id_number)
    number, _, _ = submit(
        client, {"kind": "consultation", "topic": "pension", "subject": "缴费记录", "body": "我的缴费记录不全"}
    )
    case = case_id(app, number)
    staff_login(client, database_url, make_staff(StaffRole.AGENT, department="养老保险科"))
    asked = "请补充2019年的工资单，联系电话13900001111。"
    assert console_post(client, case, "request-info", asked).status_code == 302
    reply = "经核实，您2019年3月至5月的缴费记录已补录，可在“权益查询”中查看。"
    assert console_post(client, case, "reply", reply).status_code == 302
    with app.app_context():
        messages = list(
            get_session().scalars(
                select(NotifyMessage)
                .where(NotifyMessage.idempotency_key.like(f"consult-{case}-%"))
                .order_by(NotifyMessage.id)
            )
        )
    inbox = [m for m in messages if m.channel is Channel.INBOX]
    sms = [m for m in messages if m.channel is Channel.SMS]
    assert len(inbox) == 2 and all("13900001111" not in m.body + (m.sms_text or "") for m in messages)
    assert "请补充材料或说明：请补充2019年的工资单，联系电话139******11。" in inbox[0].body
    assert inbox[1].body == f"您提交的咨询（编号{number}）已答复：{reply}" and "有新进展" not in inbox[1].body
    for m in sms:  # the SMS carries the reply's beginning, within the SMS limit
        assert sms_length(m.sms_text) <= load_templates().sms.max_chars
    assert any("已答复：经核实，您2019年3月至5月的缴费记录已补录" in m.sms_text for m in sms)
