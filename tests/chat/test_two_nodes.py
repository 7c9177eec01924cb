"""A live chat survives one of two gateway nodes being stopped (issue 16 "Done when"): two gunicorn processes
(two workers each) share PostgreSQL and Redis; the person opens the chat on one, the agent answers on the
other, the first node is stopped, and the person — same browser session — goes on with the agent through the
node left. Nothing of a conversation lives in a process (gateway/chat keeps it all in the database).

PostgreSQL + Redis lane only (SHEBAO_TEST_DATABASE_URL and SHEBAO_TEST_REDIS_URL), like tests/ops."""

from __future__ import annotations

import os
import random
import re
from contextlib import ExitStack

import pytest
import requests

from gateway.staff.models import StaffRole
from tests.chat.conftest import ALWAYS
from tests.conftest import TEST_SECRET, next_totp_code
from tests.ops.netproxy import client_at
from tests.ops.nodes import gateway_node

pytestmark = pytest.mark.skipif(
    not (os.environ.get("SHEBAO_TEST_DATABASE_URL") and os.environ.get("SHEBAO_TEST_REDIS_URL")),
    reason="the two-node test needs the PostgreSQL + Redis lane",
)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def _address() -> str:
    return f"127.{random.randint(1, 250)}.{random.randint(1, 250)}.{random.randint(2, 250)}"


def _form(http: requests.Session, base: str, path: str, data: dict, page: str) -> requests.Response:
    token = _token(http.get(f"{base}{page}", timeout=60).text)
    return http.post(f"{base}{path}", data={**data, "csrf_token": token}, allow_redirects=False, timeout=60)


def test_a_chat_goes_on_when_the_node_it_was_opened_on_stops(database_url, make_staff, tmp_path):
    agent = make_staff(StaffRole.AGENT, name="双节点坐席")
    shared = {"REDIS_URL": os.environ["SHEBAO_TEST_REDIS_URL"], "CHAT_HOURS": ALWAYS}
    with ExitStack() as both:
        first = ExitStack()
        one = first.enter_context(gateway_node(database_url, TEST_SECRET, tmp_path, tmp_path / "n0.log", **shared))
        two = both.enter_context(gateway_node(database_url, TEST_SECRET, tmp_path, tmp_path / "n1.log", **shared))

        person = client_at(_address())
        opened = _form(person, one, "/consult/chat/", {"text": "双节点：请问社保卡怎么补办？"}, "/consult/chat/")
        assert opened.status_code == 302, opened.text
        number = re.search(r'id="chat-number">(\w+)<', person.get(f"{one}/consult/chat/", timeout=60).text).group(1)

        console = client_at(_address())
        login = _form(console, two, "/hotline/login", {"username": agent.username, "password": agent.password,
                      "code": next_totp_code(database_url, agent)}, "/hotline/login")  # fmt: skip
        assert login.status_code == 302, login.text
        queue = console.get(f"{two}/hotline/chat/", timeout=60).text
        conversation = re.search(rf'/hotline/chat/(\d+)">{number}<', queue).group(1)
        page = f"/hotline/chat/{conversation}"
        assert _form(console, two, f"{page}/take", {}, "/hotline/chat/").status_code == 302
        assert _form(console, two, f"{page}/reply", {"text": "可以在网上申请补办。"}, page).status_code == 302

        seen = person.get(f"{one}/consult/chat/poll", timeout=60).json()  # node one reads what node two wrote
        assert seen["status"] == "active" and "可以在网上申请补办。" in [m["text"] for m in seen["messages"]]

        first.close()  # node one stops
        with pytest.raises(requests.ConnectionError):
            person.get(f"{one}/healthz", timeout=5)

        # Same session cookie, the node left: the conversation, the session and the queue state are all there.
        state = person.get(f"{two}/consult/chat/poll", timeout=60).json()
        assert state["status"] == "active" and "可以在网上申请补办。" in [m["text"] for m in state["messages"]]
        sent = _form(person, two, "/consult/chat/send", {"text": "好的，谢谢"}, "/consult/chat/")
        assert sent.status_code == 302
        assert "好的，谢谢" in console.get(f"{two}{page}", timeout=60).text
        assert _form(console, two, f"{page}/reply", {"text": "不客气。"}, page).status_code == 302
        after = person.get(f"{two}/consult/chat/poll?since={state['last_id']}", timeout=60).json()
        assert [m["text"] for m in after["messages"]] == ["好的，谢谢", "不客气。"]
