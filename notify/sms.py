"""The SMS gateway client (HTTP + JSON, the shape of the common Chinese SMS platforms' REST APIs).

``POST {base}/v1/messages`` with a bearer API key sends one text and answers the provider's message id;
delivery receipts arrive later and are pulled from ``GET {base}/v1/receipts``. The identity part sends login
codes with :meth:`SmsClient.send` directly (codes are never queued); everything else goes through the outbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from notify.rendering import sms_length

#: Connections kept to the gateway: the dispatcher's senders and the web workers' threads sending login codes.
KEPT_CONNECTIONS = 16


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
        # One urllib3 connection pool, not requests: a message costs the dispatcher's CPU mostly here, and requests
        # spent more than twice urllib3's per call (issue 18: proxies looked up in the environment, hooks, cookies
        # each time). The pool is thread-safe and keeps connections alive. No retries, as requests had none: a POST
        # that may have reached the gateway is never sent again here (exactly-once rests on out_id, see dispatcher).
        url = urllib3.util.parse_url(self.base_url)
        self._path = (url.path or "").rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._pool = urllib3.connection_from_url(
            self.base_url,
            maxsize=KEPT_CONNECTIONS,
            retries=urllib3.Retry(0, read=False),
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            headers=self._headers,
        )

    def _call(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None):  # noqa: ANN202
        """(status, JSON object answered) — raises urllib3's errors for the caller to word."""
        if body is not None:
            resp = self._pool.request(
                method,
                self._path + path,
                body=json.dumps(body, ensure_ascii=False).encode(),
                headers={**self._headers, "Content-Type": "application/json"},
            )
        else:
            resp = self._pool.request(method, self._path + path, fields=params)
        return resp.status, _json(resp.data)

    def send(self, phone: str, text: str, out_id: str | None = None) -> str:
        """Send ``text`` to ``phone``; return the provider's message id (``out_id``: idempotent resends)."""
        if not text or sms_length(text) > 500:
            raise SmsError("短信内容为空或超过500个字。", code="invalid_text", temporary=False)
        body = {"phone": phone, "text": text}
        if out_id is not None:
            body["out_id"] = out_id
        try:
            status, data = self._call("POST", "/v1/messages", body=body)
        except HTTPError as exc:
            if _timed_out(exc):
                raise SmsError("短信网关响应超时。", code="timeout") from None
            raise SmsError(f"无法连接短信网关：{_name(exc)}", code="unreachable") from None
        if status == 200 and isinstance(data.get("message_id"), str):
            return data["message_id"]
        code = str(data.get("code") or f"http_{status}")
        message = str(data.get("message") or f"短信网关返回 {status}")
        # 429 and 5xx are the gateway's trouble: try again later. Other 4xx are ours: retrying cannot help.
        temporary = status == 429 or status >= 500
        raise SmsError(message, code=code, temporary=temporary)

    def find(self, out_id: str) -> str | None:
        """The provider's message id of the message sent with ``out_id``, or None when the gateway took none
        (the status query the dispatcher asks after a worker died mid-send). Raises :class:`SmsError` when
        the gateway cannot answer: then nobody knows, and the caller must not guess."""
        try:
            status, data = self._call("GET", "/v1/messages", params={"out_id": out_id})
        except HTTPError as exc:
            raise SmsError(f"无法查询短信状态：{_name(exc)}", code="unreachable") from None
        if status == 404 and data.get("code") == "not_found":
            return None
        if status == 200 and isinstance(data.get("message_id"), str):
            return data["message_id"]
        raise SmsError(str(data.get("message") or f"短信网关返回 {status}"), code=str(data.get("code")))

    def receipts(self, limit: int = 100) -> list[Receipt]:
        """Delivery receipts not fetched before (each is handed out once)."""
        try:
            status, data = self._call("GET", "/v1/receipts", params={"max": limit})
        except HTTPError as exc:
            raise SmsError(f"无法获取短信回执：{_name(exc)}", code="unreachable") from None
        if status != 200 or not isinstance(data.get("receipts"), list):
            raise SmsError(str(data.get("message") or f"短信网关返回 {status}"))
        out = []
        for r in data["receipts"]:
            try:
                out.append(Receipt(str(r["message_id"]), r.get("out_id"), ReceiptStatus(r["status"]), r.get("error")))
            except (KeyError, ValueError, TypeError):
                continue  # malformed: skipped; the message stays "accepted", visible to staff
        return out


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _cause(exc: HTTPError) -> BaseException:
    # With no retries urllib3 wraps a failed connection in MaxRetryError; the cause is what happened.
    return exc.reason if isinstance(exc, MaxRetryError) and exc.reason is not None else exc


def _timed_out(exc: HTTPError) -> bool:
    cause = _cause(exc)
    # urllib3 derives a refused connection from its connect timeout; requests (and we) call it unreachable.
    return isinstance(cause, Urllib3Timeout) and not isinstance(cause, NewConnectionError)


def _name(exc: HTTPError) -> str:
    return type(_cause(exc)).__name__
