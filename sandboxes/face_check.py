"""Face-check (人脸识别) sandbox: a liveness provider like the e-SSC face service, for 待遇资格认证.

Protocol (the real providers differ in names, not in shape):

- ``POST /face/sessions`` JSON ``{"id_number", "name", "return_url"}``, HTTP Basic with the app key and secret —
  ``201 {"session_id", "capture_url", "expires_in"}``. Server to server.
- ``GET /face/capture/<session_id>`` — the capture page the person is sent to (in real life: a selfie video in
  the e-SSC app). ``POST`` with ``verdict=pass|fail`` ends the capture and redirects to
  ``return_url?session_id=…``.
- ``GET /face/sessions/<session_id>/result`` (Basic auth) — ``{"result": {...}, "signature"}`` where ``result``
  holds session_id, id_number, name, verdict, score, checked_at (Unix seconds) and app_key, and ``signature`` is
  the base64 HMAC-SHA256, keyed with the app secret, of the canonical JSON of ``result`` (keys sorted, no spaces,
  UTF-8). ``409`` while the capture is not finished.

Test controls: the capture form's ``fault`` field (``bad_signature``, ``expired``, ``wrong_person``) makes the
result endpoint answer with that kind of broken result.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time

from flask import Blueprint, jsonify, redirect, request
from markupsafe import escape

PREFIX = "/face"
bp = Blueprint("sandbox_face_check", __name__)

APPS = {"shebao-gateway": "sandbox-face-secret"}
SESSION_TTL_S = 600
_lock = threading.Lock()
_sessions: dict[str, dict] = {}
FAULTS = ("bad_signature", "expired", "wrong_person")


def canonical(result: dict) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(result, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(result: dict, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), canonical(result), hashlib.sha256).digest()).decode()


def _app_key() -> str | None:
    auth = request.authorization
    if auth and auth.username in APPS and secrets.compare_digest(APPS[auth.username], auth.password or ""):
        return auth.username
    return None


def _error(status: int, code: str, message: str):
    return jsonify({"error": {"code": code, "message": message}}), status


@bp.post("/sessions")
def start():
    app_key = _app_key()
    if app_key is None:
        return _error(401, "unauthorized", "app key or secret is wrong")
    data = request.get_json(silent=True) or {}
    if not all(isinstance(data.get(k), str) and data[k] for k in ("id_number", "name", "return_url")):
        return _error(400, "bad_request", "id_number, name and return_url are required")
    session_id = "FC" + secrets.token_hex(12)
    with _lock:
        _sessions[session_id] = {
            "app_key": app_key,
            "id_number": data["id_number"],
            "name": data["name"],
            "return_url": data["return_url"],
            "created": time.time(),
            "verdict": None,
            "fault": "",
        }
    capture = request.host_url.rstrip("/") + f"{PREFIX}/capture/{session_id}"
    return jsonify({"session_id": session_id, "capture_url": capture, "expires_in": SESSION_TTL_S}), 201


def _open(session_id: str) -> dict | None:
    with _lock:
        s = _sessions.get(session_id)
    if s is None or time.time() - s["created"] > SESSION_TTL_S:
        return None
    return s


@bp.get("/capture/<session_id>")
def capture_page(session_id: str):
    s = _open(session_id)
    if s is None:
        return "<p>会话不存在或已过期。</p>", 404
    name = escape(s["name"][:1] + "*" * (len(s["name"]) - 1))
    options = "".join(f'<option value="{f}">{f}</option>' for f in FAULTS)
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>人脸识别（沙箱）</title>
<style>body{{font:16px sans-serif;margin:1rem}}button{{min-height:48px;min-width:8rem;margin:.5rem 0;font-size:16px}}
select{{min-height:44px;font-size:16px}}</style></head><body><main>
<h1>人脸识别（沙箱）</h1>
<p>{name}，请正对手机摄像头，按提示眨眼、转头。测试环境：请选择识别结果。</p>
<form method="post">
<label for="fault">故障注入（测试用）</label>
<select id="fault" name="fault"><option value="">无</option>{options}</select>
<p><button type="submit" name="verdict" value="pass">识别通过</button></p>
<p><button type="submit" name="verdict" value="fail">识别不通过</button></p>
</form></main></body></html>"""


@bp.post("/capture/<session_id>")
def capture_done(session_id: str):
    s = _open(session_id)
    if s is None:
        return "<p>会话不存在或已过期。</p>", 404
    verdict = request.form.get("verdict")
    if verdict not in ("pass", "fail"):
        return "<p>请选择识别结果。</p>", 400
    with _lock:
        s["verdict"] = verdict
        s["fault"] = request.form.get("fault", "") if request.form.get("fault") in FAULTS else ""
        s["checked_at"] = int(time.time())
    sep = "&" if "?" in s["return_url"] else "?"
    return redirect(f"{s['return_url']}{sep}session_id={session_id}")


@bp.get("/sessions/<session_id>/result")
def result(session_id: str):
    app_key = _app_key()
    if app_key is None:
        return _error(401, "unauthorized", "app key or secret is wrong")
    with _lock:
        s = _sessions.get(session_id)
    if s is None or s["app_key"] != app_key:
        return _error(404, "not_found", "no such session")
    if s["verdict"] is None:
        return _error(409, "pending", "capture not finished")
    fault = s["fault"]
    body = {
        "app_key": app_key,
        "session_id": session_id,
        "id_number": s["id_number"],
        "name": s["name"],
        "verdict": s["verdict"],
        "score": 0.97 if s["verdict"] == "pass" else 0.31,
        "checked_at": s["checked_at"] - (3600 if fault == "expired" else 0),
    }
    if fault == "wrong_person":
        body["id_number"] = body["id_number"][:-4] + ("0000" if not body["id_number"].endswith("0000") else "1111")
    secret = APPS[app_key] if fault != "bad_signature" else "not-the-secret"
    return jsonify({"result": body, "signature": sign(body, secret)})
