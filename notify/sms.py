"""The SMS gateway client (HTTP + JSON, the shape of the common Chinese SMS platforms' REST APIs).

``POST {base}/v1/messages`` with a bearer API key sends one text and answers the provider's message id;
delivery receipts arrive later and are pulled from ``GET {base}/v1/receipts``. The identity part sends login
codes with :meth:`SmsClient.send` directly (codes are never queued); everything else goes through the outbox.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import StrEnum

import requests

from notify.rendering import sms_length


class SmsError(Exception):
    """The gateway did not take the message. ``temporary``: worth retrying later (5xx, 429, timeouts)."""

    def __init__(self, message: str, *, code: str = "error", temporary: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.temporary = temporary


class ReceiptStatus(StrEnum):
    DELIVERED = "DELIVRD"  # the operators' status words on delivery reports
    UNDELIVERABLE = "UNDELIV"


@dataclass(frozen=True)
class Receipt:
    message_id: str
    out_id: str | None
    status: ReceiptStatus
    error: str | None


class SmsClient:
    """A client of the SMS gateway at ``base_url`` (embedded mode: ``settings.sandbox_url + "/sms"``)."""

    def __init__(self, base_url: str, api_key: str = "sandbox", timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self._local = threading.local()

    def _http(self) -> requests.Session:
        # requests.Session is not thread-safe; the dispatcher sends from several threads.
        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = requests.Session()
            http.headers["Authorization"] = f"Bearer {self.api_key}"
        return http

    def send(self, phone: str, text: str, out_id: str | None = None) -> str:
        """Send ``text`` to ``phone``; return the provider's message id (``out_id``: idempotent resends)."""
        if not text or sms_length(text) > 500:
            raise SmsError("短信内容为空或超过500个字。", code="invalid_text", temporary=False)
        body = {"phone": phone, "text": text}
        if out_id is not None:
            body["out_id"] = out_id
        try:
            resp = self._http().post(f"{self.base_url}/v1/messages", json=body, timeout=self.timeout)
        except requests.Timeout:
            raise SmsError("短信网关响应超时。", code="timeout") from None
        except requests.RequestException as exc:
            raise SmsError(f"无法连接短信网关：{type(exc).__name__}", code="unreachable") from None
        data = _json(resp)
        if resp.status_code == 200 and isinstance(data.get("message_id"), str):
            return data["message_id"]
        code = str(data.get("code") or f"http_{resp.status_code}")
        message = str(data.get("message") or f"短信网关返回 {resp.status_code}")
        # 429 and 5xx are the gateway's trouble: try again later. Other 4xx are ours: retrying cannot help.
        temporary = resp.status_code == 429 or resp.status_code >= 500
        raise SmsError(message, code=code, temporary=temporary)

    def find(self, out_id: str) -> str | None:
        """The provider's message id of the message sent with ``out_id``, or None when the gateway took none
        (the status query the dispatcher asks after a worker died mid-send). Raises :class:`SmsError` when
        the gateway cannot answer: then nobody knows, and the caller must not guess."""
        try:
            resp = self._http().get(f"{self.base_url}/v1/messages", params={"out_id": out_id}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SmsError(f"无法查询短信状态：{type(exc).__name__}", code="unreachable") from None
        data = _json(resp)
        if resp.status_code == 404 and data.get("code") == "not_found":
            return None
        if resp.status_code == 200 and isinstance(data.get("message_id"), str):
            return data["message_id"]
        raise SmsError(str(data.get("message") or f"短信网关返回 {resp.status_code}"), code=str(data.get("code")))

    def receipts(self, limit: int = 100) -> list[Receipt]:
        """Delivery receipts not fetched before (each is handed out once)."""
        try:
            resp = self._http().get(f"{self.base_url}/v1/receipts", params={"max": limit}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SmsError(f"无法获取短信回执：{type(exc).__name__}", code="unreachable") from None
        data = _json(resp)
        if resp.status_code != 200 or not isinstance(data.get("receipts"), list):
            raise SmsError(str(data.get("message") or f"短信网关返回 {resp.status_code}"))
        out = []
        for r in data["receipts"]:
            try:
                out.append(Receipt(str(r["message_id"]), r.get("out_id"), ReceiptStatus(r["status"]), r.get("error")))
            except (KeyError, ValueError, TypeError):
                continue  # malformed: skipped; the message stays "accepted", visible to staff
        return out


def _json(resp: requests.Response) -> dict:
    try:
        data = resp.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
