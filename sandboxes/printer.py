"""Kiosk ticket printer sandbox (凭条打印机): a receipt printer listening on a raw TCP socket (the "port 9100" /
JetDirect way thermal printers take jobs: bytes in, paper out, ESC/POS commands, Chinese text in GB18030), and the
kiosk's small local printer bridge in front of it — the loopback HTTP service the kiosk page calls, like the
card reader's. The printer's socket starts with the sandbox (a thread on a free loopback port).

- ``GET  /printer/status`` → ``{"printer": "ready"|"offline", "address": "127.0.0.1:<port>"}``
- ``POST /printer/print`` ``{"lines": ["…", …]}`` → the bridge sends one job over the raw socket →
  ``{"status": "printed"}``; 503 ``printer_offline`` when the printer does not take it
- ``GET  /printer/test/jobs`` → ``{"jobs": [{"id", "text"}]}``: what reached the printer, ESC/POS stripped
- ``POST /printer/test/offline`` ``{"offline": true|false}`` — unplug (or plug back) the printer
"""

from __future__ import annotations

import re
import socket
import socketserver
import threading

from flask import Blueprint, jsonify, request

PREFIX = "/printer"
bp = Blueprint("sandbox_printer", __name__)

INIT = b"\x1b@"  # ESC @: initialise
CUT = b"\x1dV\x00"  # GS V 0: full cut
MAX_LINES = 40
MAX_LINE = 64
_lock = threading.Lock()
_jobs: list[bytes] = []
_printer: dict = {"server": None, "offline": False}


class _Printer(socketserver.BaseRequestHandler):
    """One connection is one job: everything sent until the bridge closes its side."""

    def handle(self) -> None:
        chunks = []
        while True:
            data = self.request.recv(4096)
            if not data:
                break
            chunks.append(data)
        with _lock:
            _jobs.append(b"".join(chunks))


def _start_printer() -> tuple[str, int]:
    with _lock:
        if _printer["server"] is None:
            server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Printer)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            _printer["server"] = server
        return _printer["server"].server_address[:2]


@bp.record_once
def _on_register(_state) -> None:
    _start_printer()


@bp.after_request
def _cors(response):
    # A loopback service called from the kiosk page's origin.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Cache-Control"] = "no-store"
    return response


def _address() -> str:
    host, port = _start_printer()
    return f"{host}:{port}"


@bp.get("/status")
def status():
    return jsonify({"printer": "offline" if _printer["offline"] else "ready", "address": _address()})


@bp.route("/print", methods=["POST", "OPTIONS"])
def print_job():
    if request.method == "OPTIONS":
        return "", 204
    body = request.get_json(silent=True, force=True) or {}
    lines = body.get("lines")
    if not isinstance(lines, list) or not lines or len(lines) > MAX_LINES:
        return jsonify({"error": "bad_job"}), 400
    text = "\n".join(str(line)[:MAX_LINE] for line in lines)
    job = INIT + text.encode("gb18030", errors="replace") + b"\n\n\n\n" + CUT
    if _printer["offline"]:
        return jsonify({"error": "printer_offline"}), 503
    host, port = _start_printer()
    try:
        with socket.create_connection((host, port), timeout=3) as conn:
            conn.sendall(job)
    except OSError:
        return jsonify({"error": "printer_offline"}), 503
    return jsonify({"status": "printed"})


def _readable(job: bytes) -> str:
    job = job.replace(INIT, b"").replace(CUT, b"")
    return re.sub(r"\n+$", "", job.decode("gb18030", errors="replace"))


@bp.get("/test/jobs")
def jobs():
    with _lock:
        done = list(_jobs)
    return jsonify({"jobs": [{"id": n + 1, "text": _readable(j)} for n, j in enumerate(done)]})


@bp.post("/test/offline")
def offline():
    _printer["offline"] = bool((request.get_json(silent=True, force=True) or {}).get("offline"))
    return jsonify({"printer": "offline" if _printer["offline"] else "ready"})
