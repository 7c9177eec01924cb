"""Local stand-ins for the external services we cannot reach here (SMS gateway, WeChat, e-SSC platform,
Alipay, a CA, a timestamp authority). Each speaks its real protocol, so the gateway's product code is the
same code that talks to the real service; only the base URL differs (DESIGN "Identity").

All sandboxes are blueprints of one small Flask app, each under its own prefix
(``http://127.0.0.1:8001/<name>/…``). ``shebao serve`` starts it beside the gateway in the embedded
mode; the tests start it in a thread (``tests/conftest.py``).
"""

from __future__ import annotations

import importlib

from flask import Flask, jsonify

#: Sandbox modules; each exposes ``bp`` (a Blueprint) and ``PREFIX`` (its URL prefix, e.g. "/sms").
MODULES: tuple[str, ...] = ("tsa", "sms_gateway", "wechat_api", "essc")
MODULES += ("alipay",)
MODULES += ("card_reader",)
MODULES += ("ukey",)
MODULES += ("face_check",)
MODULES += ("printer",)


def create_sandbox_app() -> Flask:
    """One WSGI app hosting every sandbox under its prefix."""
    app = Flask(__name__)
    app.json.ensure_ascii = False
    mounted = []
    for name in MODULES:
        module = importlib.import_module(f"sandboxes.{name}")
        app.register_blueprint(module.bp, url_prefix=module.PREFIX)
        mounted.append(module.PREFIX)

    @app.get("/")
    def index():
        return jsonify({"sandboxes": mounted})

    return app
