"""SMS gateway sandbox: the REST shape of the common Chinese SMS platforms, served locally.

Protocol (what :class:`notify.sms.SmsClient` speaks):

- ``POST /sms/v1/messages`` — header ``Authorization: Bearer <api key>`` (each key is its own account),
  JSON ``{"phone", "text", "out_id"?}`` → ``{"message_id", "segments", "status": "accepted"}``.
  A repeated ``out_id`` on the same account answers the first message id (no second SMS). Errors:
  400 ``invalid_phone`` / ``invalid_text``, 401 ``unauthorized``, 429/503 when told to fail.
- ``GET /sms/v1/messages?out_id=…`` — the status query by the client's own reference (as the platforms'
  "query send details" APIs): ``{"message_id", "out_id", "status": "accepted"}``, or 404 ``not_found`` when no
  message with that reference was taken on this account.
- ``GET /sms/v1/receipts?max=N`` — delivery reports of this account that are due, each handed out once:
  ``{"receipts": [{"message_id", "out_id", "status": "DELIVRD"|"UNDELIV", "error"}]}``.

Controls for tests and demos (per phone number, so parallel users of one sandbox do not disturb each other):

- ``PUT /sms/sandbox/rules/<phone>`` JSON ``{"fail_times": n (-1 = always), "fail_status": 503,
  "delay_seconds": s (answer slowly), "receipt": "DELIVRD"|"UNDELIV", "receipt_delay_seconds": s}``;
  ``DELETE`` the same path to clear it.
- ``GET /sms/sandbox/messages?phone=…`` — what was sent (e.g. to read a login code in a test), newest last.
"""

from __future__ import annotations

import itertools
import re
import threading
import time

from flask import Blueprint, jsonify, request

PREFIX = "/sms"
bp = Blueprint("sandbox_sms", __name__)

_PHONE = re.compile(r"^1[3-9]\d{9}$")
_lock = threading.Lock()
_ids = itertools.count(1)
_messages: list[dict] = []
_by_out_id: dict[tuple[str, str], str] = {}
_receipts: dict[str, list[tuple[float, dict]]] = {}
_rules: dict[str, dict] = {}


def _error(status: int, code: str, message: str):
    resp = jsonify({"code": code, "message": message})
    resp.status_code = status
    return resp


def _account() -> str | None:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or not auth[7:].strip():
        return None
    return auth[7:].strip()


def _segments(text: str) -> int:
    n = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return 1 if n <= 70 else -(-n // 67)


@bp.post("/v1/messages")
def send():
    account = _account()
    if account is None:
        return _error(401, "unauthorized", "缺少或无效的 API Key")
    body = request.get_json(silent=True) or {}
    phone, text, out_id = body.get("phone"), body.get("text"), body.get("out_id")
    if not isinstance(phone, str) or not _PHONE.match(phone):
        return _error(400, "invalid_phone", "手机号码格式不正确")
    if not isinstance(text, str) or not text.strip() or len(text) > 500:
        return _error(400, "invalid_text", "短信内容为空或超过500字")
    with _lock:
        rule = _rules.get(phone, {})
        delay = float(rule.get("delay_seconds", 0))
        failing = rule.get("fail_times", 0)
        if failing:
            if failing > 0:
                rule["fail_times"] = failing - 1
            status = int(rule.get("fail_status", 503))
    if delay:
        time.sleep(delay)
    if failing:
        return _error(status, "gateway_busy", "短信网关繁忙，请稍后重试")
    with _lock:
        if isinstance(out_id, str) and (account, out_id) in _by_out_id:
            mid = _by_out_id[(account, out_id)]
            return jsonify({"message_id": mid, "segments": _segments(text), "status": "accepted"})
        mid = f"SM{next(_ids):010d}"
        if isinstance(out_id, str):
            _by_out_id[(account, out_id)] = mid
        _messages.append(
            {
                "message_id": mid,
                "account": account,
                "phone": phone,
                "text": text,
                "out_id": out_id,
                "segments": _segments(text),
                "at": time.time(),
            }
        )
        verdict = rule.get("receipt", "DELIVRD")
        receipt = {
            "message_id": mid,
            "out_id": out_id,
            "status": verdict,
            "error": None if verdict == "DELIVRD" else "MK:0001 用户关机或空号",
        }
        ready = time.time() + float(rule.get("receipt_delay_seconds", 0))
        _receipts.setdefault(account, []).append((ready, receipt))
    return jsonify({"message_id": mid, "segments": _segments(text), "status": "accepted"})


@bp.get("/v1/messages")
def find_message():
    account = _account()
    if account is None:
        return _error(401, "unauthorized", "缺少或无效的 API Key")
    out_id = request.args.get("out_id", "")
    with _lock:
        mid = _by_out_id.get((account, out_id))
    if mid is None:
        return _error(404, "not_found", "没有这个 out_id 的短信")
    return jsonify({"message_id": mid, "out_id": out_id, "status": "accepted"})


@bp.get("/v1/receipts")
def receipts():
    account = _account()
    if account is None:
        return _error(401, "unauthorized", "缺少或无效的 API Key")
    try:
        limit = max(1, min(1000, int(request.args.get("max", 100))))
    except ValueError:
        return _error(400, "invalid_max", "max 必须是整数")
    now = time.time()
    with _lock:
        due: list[tuple[float, dict]] = []
        kept: list[tuple[float, dict]] = []
        for item in _receipts.get(account, []):  # one pass: removing each from the list was quadratic
            (due if item[0] <= now and len(due) < limit else kept).append(item)
        _receipts[account] = kept
    return jsonify({"receipts": [r for _, r in due]})


@bp.put("/sandbox/rules/<phone>")
def set_rule(phone: str):
    body = request.get_json(silent=True) or {}
    allowed = {"fail_times", "fail_status", "delay_seconds", "receipt", "receipt_delay_seconds"}
    if not isinstance(body, dict) or not set(body) <= allowed:
        return _error(400, "invalid_rule", f"规则只能包含 {sorted(allowed)}")
    if body.get("receipt", "DELIVRD") not in ("DELIVRD", "UNDELIV"):
        return _error(400, "invalid_rule", "receipt 只能是 DELIVRD 或 UNDELIV")
    with _lock:
        _rules[phone] = dict(body)
    return jsonify({"phone": phone, "rule": body})


@bp.delete("/sandbox/rules/<phone>")
def clear_rule(phone: str):
    with _lock:
        _rules.pop(phone, None)
    return ("", 204)


@bp.get("/sandbox/messages")
def sent_messages():
    phone = request.args.get("phone")
    account = request.args.get("account")
    with _lock:
        found = [
            {k: m[k] for k in ("message_id", "phone", "text", "out_id", "segments")}
            for m in _messages
            if (phone is None or m["phone"] == phone) and (account is None or m["account"] == account)
        ]
    return jsonify({"messages": found})
