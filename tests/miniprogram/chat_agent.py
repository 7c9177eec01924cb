"""A 12333 agent for the mini-program's Node suite (``channels/miniprogram/tests/chat.test.js``): on a thread of
the pytest wrapper, it logs in to the staff console, marks itself available (在线) and keeps its queue page
open, and takes every live chat waiting from the mini-program
channel, through the console's own HTTP endpoints (take, reply: CSRF, the one gate and the audit included), then
answers it with a known text that the Node test waits to see on the person's page."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from gateway.chat.models import ChatConversation, ChatStatus
from tests.conftest import StaffLogin, csrf_token, staff_login

REPLY = "您好，这里是12333在线客服。失业保险金可以在小程序“服务”里在线申请，需要先完成失业登记。"


class ConsoleAgent(threading.Thread):
    """Answers the mini-program's waiting chats until stopped; what went wrong is kept in ``errors`` for the test
    to assert on (an exception on a thread would otherwise be lost)."""

    def __init__(self, app, database_url: str, staff: StaffLogin, reply: str = REPLY) -> None:
        super().__init__(name="console-agent", daemon=True)
        self.app, self.database_url, self.staff, self.reply = app, database_url, staff, reply
        self.stopping = threading.Event()
        self.answered: list[int] = []
        self.errors: list[str] = []
        self._client = None

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)

    def _logged_in(self):
        if self._client is None:
            client = self.app.test_client()
            done = staff_login(client, self.database_url, self.staff)
            if done.status_code != 302:
                raise AssertionError(f"the agent could not log in: {done.status_code}")
            self._client = client
        return self._client

    def _post(self, conversation_id: int, action: str, data: dict):
        client = self._logged_in()
        page = client.get(f"/hotline/chat/{conversation_id}")
        if page.status_code != 200:  # the console's session ended (idle): log in again once
            self._client = None
            client = self._logged_in()
            page = client.get(f"/hotline/chat/{conversation_id}")
        token = csrf_token(page.get_data(as_text=True))
        return client.post(f"/hotline/chat/{conversation_id}/{action}", data={**data, "csrf_token": token})

    def _waiting(self) -> list[int]:
        with self.app.extensions["shebao_engine"].connect() as conn:
            return list(
                conn.scalars(
                    sa.select(ChatConversation.id).where(
                        ChatConversation.status == ChatStatus.WAITING, ChatConversation.channel == "miniprogram"
                    )
                )
            )

    def _on_duty(self) -> None:
        """Mark the agent available, as the console's 在线 button does, so the person is told an agent is online."""
        client = self._logged_in()
        queue = client.get("/hotline/chat/")
        done = client.post(
            "/hotline/chat/presence",
            data={"available": "1", "csrf_token": csrf_token(queue.get_data(as_text=True))},
        )
        if done.status_code != 302:
            raise AssertionError(f"the agent could not go on duty: {done.status_code}")

    def run(self) -> None:
        try:
            self._on_duty()
        except Exception as exc:  # noqa: BLE001 — kept for the test to report, with its type
            self.errors.append(f"{type(exc).__name__}: {exc}")
        last_queue = time.monotonic()
        while not self.stopping.wait(0.3):
            try:
                if time.monotonic() - last_queue > 15:  # the console's queue page reloads itself: still here
                    self._logged_in().get("/hotline/chat/")
                    last_queue = time.monotonic()
                for conversation_id in self._waiting():
                    # 409: the person ended it between the query and the take (or the reply) — not a failure.
                    taken = self._post(conversation_id, "take", {})
                    if taken.status_code == 409:
                        continue
                    if taken.status_code != 302 or f"/hotline/chat/{conversation_id}" not in taken.location:
                        self.errors.append(f"take {conversation_id}: {taken.status_code} {taken.location}")
                        continue
                    replied = self._post(conversation_id, "reply", {"text": self.reply})
                    if replied.status_code == 409:
                        continue
                    if replied.status_code != 302:
                        self.errors.append(f"reply {conversation_id}: {replied.status_code}")
                        continue
                    self.answered.append(conversation_id)
            except Exception as exc:  # noqa: BLE001 — kept for the test to report, with its type
                self.errors.append(f"{type(exc).__name__}: {exc}")
