"""Kiosk card-reader bridge sandbox (社保卡读卡器): the small local HTTP service a kiosk's reader runs.

A real bridge listens on the kiosk's loopback address; the kiosk page's script talks to it. It reads the
social security card in the slot and lets the holder type the PIN on the reader's own keypad, where the
card's chip checks it: the page and the gateway get a verdict, never the PIN (DESIGN "Identity"). The
result is signed with the kiosk's device key (Ed25519, from ``shebao kiosk enrol``).

Protocol (CORS open, as a loopback service must be for the kiosk page):

- ``GET  /card-reader/status`` → ``{"configured", "device_id", "card": "present"|"absent"}``
- ``POST /card-reader/read`` → ``{"read_id"}``; the reader prompts for the PIN (409 ``no_card`` without a card)
- ``GET  /card-reader/read/<read_id>`` → ``{"status": "waiting_pin"}`` or
  ``{"status": "done", "payload", "signature"}``;
  the payload names ``device_id``, ``card_number``, ``aac002`` and ``aac003`` (holder as the card platform
  reports them), ``pin_verdict`` (``ok``/``wrong``/``blocked``), ``ts`` (Unix seconds) and a one-time ``nonce``.

Test controls (the installer and the tests; stand-ins for hands at the hardware):

- ``POST /card-reader/test/configure`` ``{"device_id", "private_key"}`` — install the device credentials
- ``POST /card-reader/test/insert`` ``{"card_number", "aac002", "aac003", "pin"}`` — put a card in the slot
  (``pin`` is what the chip was personalised with)
- ``POST /card-reader/test/keypad`` ``{"pin"}`` — type a PIN on the keypad and press 确认
- ``POST /card-reader/test/remove`` — take the card out
- ``GET  /card-reader/`` — a keypad page for trying the kiosk by hand (``shebao kiosk demo`` prepares the rest)
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Blueprint, jsonify, request

PREFIX = "/card-reader"
bp = Blueprint("sandbox_card_reader", __name__)

#: Like a real card: the chip blocks its PIN after this many wrong entries in a row.
CHIP_TRIES = 5
_lock = threading.Lock()
_state: dict = {"device_id": None, "key": None, "card": None, "reads": {}}


@bp.after_request
def _cors(response):
    # A loopback service called from the kiosk page's origin.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Cache-Control"] = "no-store"
    return response


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _sign(payload: dict) -> str:
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return _b64(_state["key"].sign(data))


def _body() -> dict:
    return request.get_json(silent=True, force=True) or request.form.to_dict()


#: The reader's keypad, for a person trying the demo in a browser tab next to the kiosk page.
_KEYPAD = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>读卡器键盘（沙箱）</title>
<h1>读卡器键盘（沙箱）</h1><p>在自助终端页面点“社保卡登录”后，在这里输入密码并确认。</p>
<form method="post" action="test/keypad"><label for="pin">密码</label>
<input id="pin" name="pin" inputmode="numeric" maxlength="6"> <button type="submit">确认</button></form>"""


@bp.get("/")
def keypad_page():
    return _KEYPAD


@bp.get("/status")
def status():
    with _lock:
        return jsonify(
            {
                "configured": _state["key"] is not None,
                "device_id": _state["device_id"],
                "card": "present" if _state["card"] else "absent",
            }
        )


@bp.post("/read")
def start_read():
    with _lock:
        if _state["key"] is None:
            return jsonify({"error": "not_configured", "message": "读卡器未配置终端证书"}), 503
        if _state["card"] is None:
            return jsonify({"error": "no_card", "message": "请插入社保卡"}), 409
        read_id = secrets.token_urlsafe(12)
        _state["reads"] = {read_id: None}  # one read at a time: a new one replaces any other
        _state["card"]["reading"] = read_id
    return jsonify({"read_id": read_id})


@bp.get("/read/<read_id>")
def read_result(read_id: str):
    with _lock:
        if read_id not in _state["reads"]:
            return jsonify({"error": "unknown_read", "message": "读卡已取消，请重新插卡"}), 404
        done = _state["reads"][read_id]
    if done is None:
        return jsonify({"status": "waiting_pin"})
    return jsonify({"status": "done", **done})


@bp.post("/test/configure")
def configure():
    body = _body()
    raw = str(body.get("private_key", ""))
    try:
        key = Ed25519PrivateKey.from_private_bytes(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError:
        return jsonify({"error": "bad_key"}), 400
    with _lock:
        _state.update(device_id=str(body.get("device_id", "")), key=key, card=None, reads={})
    return jsonify({"configured": True})


@bp.post("/test/insert")
def insert():
    body = _body()
    if not body.get("card_number") or not body.get("pin"):
        return jsonify({"error": "invalid_card"}), 400
    with _lock:
        _state["card"] = {
            "card_number": str(body["card_number"]),
            "aac002": str(body.get("aac002", "")),
            "aac003": str(body.get("aac003", "")),
            "pin": str(body["pin"]),
            "tries_left": int(body.get("tries_left", CHIP_TRIES)),
            "reading": None,
        }
        _state["reads"] = {}
    return jsonify({"card": "present"})


@bp.post("/test/remove")
def remove():
    with _lock:
        _state["card"] = None
        _state["reads"] = {}
    return jsonify({"card": "absent"})


@bp.post("/test/keypad")
def keypad():
    pin = str(_body().get("pin", ""))
    with _lock:
        card = _state["card"]
        if card is None or card["reading"] not in _state["reads"]:
            return jsonify({"error": "not_waiting", "message": "读卡器未在等待输入密码"}), 409
        # The chip's own check and retry counter: the verdict leaves the reader, the PIN does not.
        if card["tries_left"] <= 0:
            verdict = "blocked"
        elif secrets.compare_digest(pin.encode(), card["pin"].encode()):
            verdict = "ok"
            card["tries_left"] = CHIP_TRIES
        else:
            card["tries_left"] -= 1
            verdict = "wrong" if card["tries_left"] > 0 else "blocked"
        payload = {
            "device_id": _state["device_id"],
            "card_number": card["card_number"],
            "aac002": card["aac002"],
            "aac003": card["aac003"],
            "pin_verdict": verdict,
            "ts": int(time.time()),
            "nonce": secrets.token_urlsafe(18),
        }
        _state["reads"][card["reading"]] = {"payload": payload, "signature": _sign(payload)}
        card["reading"] = None
    return jsonify({"accepted": True})
