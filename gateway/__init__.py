"""Shebao Gateway (社保网上经办网关): the Flask application factory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from gateway.config import Settings
from gateway.security.csrf import csrf

__all__ = ["create_app", "csrf"]
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the gateway for ``settings`` (default: from the ``SHEBAO_*`` environment)."""
    settings = settings or Settings.from_env()
    settings.check()
    app = Flask(__name__, static_folder=str(_static_dir()), static_url_path="/static")
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        # Flask 3.1 / itsdangerous read what the replaced secrets signed (SHEBAO_SECRET_KEY_FALLBACKS).
        SECRET_KEY_FALLBACKS=list(settings.secret_key_fallbacks),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        SESSION_COOKIE_NAME="shebao_session",
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False

    from gateway.clock import format_beijing

    # Stored instants are aware UTC; every page shows them in Beijing time: ``{{ a.submitted_at | beijing }}``.
    app.add_template_filter(format_beijing, "beijing")
    from gateway.channel_policy import method_label

    # Login methods in words: ``{{ event.method | method_label }}``.
    app.add_template_filter(method_label, "method_label")
    from gateway.catalog.model import channel_label

    app.add_template_filter(channel_label, "channel_label")  # channels in words: ``{{ chat.channel | channel_label }}``

    from gateway import errors, health, json_input, metrics, outages, request_db, request_log
    from gateway.access import edge as access
    from gateway.clients import init_app as init_clients
    from gateway.request_log import configure_logging
    from gateway.security import headers, keyring, limits, pii, proxies

    configure_logging(settings.log_level)
    # The client's address behind the trusted reverse proxy, for every limit, the audit trail and the logs.
    app.wsgi_app = proxies.wrap(app.wsgi_app, settings.trusted)  # type: ignore[method-assign]
    request_db.init_app(app)
    init_clients(app)  # back office, SMS, WeChat: built once, shared with the worker
    app.extensions["shebao_vault"] = pii.PiiVault(settings.secret_key, settings.secret_key_fallbacks)
    # Every value keyed by the secret is checked under the replaced ones too (gateway.security.keyring); CSRF
    # tokens as well: Flask-WTF signs with the last key of the list and reads with any.
    keyring.register(settings.secret_key, settings.secret_key_fallbacks)
    if settings.secret_key_fallbacks:
        app.config["WTF_CSRF_SECRET_KEY"] = keyring.itsdangerous_keys(settings.secret_key)
    from gateway.applications import uploads

    uploads.use_vault(settings.var_dir, app.extensions["shebao_vault"])  # uploads are sealed at rest
    csrf.init_app(app)
    limits.init_app(app)
    json_input.init_app(app)  # before the gate and the views: a body no parser can be trusted with is a 400
    request_log.init_app(app)
    access.init_app(app)  # the one gate: after the request log has tagged the channel
    headers.init_app(app)
    errors.init_app(app)
    outages.init_app(app)  # Redis, the database or the file store down: a Chinese 503, a log line, a metric
    app.register_blueprint(health.bp)
    metrics.init_app(app)  # /metrics for the operators' Prometheus (loopback or SHEBAO_METRICS_TOKEN)

    from channels import core_status, hotline, kiosk, web
    from gateway.api import staff_messages, v1
    from notify import init_app as init_notify

    v1.init_app(app)  # every /api/v1 operation and its OpenAPI document
    web.init_app(app)
    kiosk.init_app(app)
    hotline.init_app(app)  # the staff console
    core_status.init_app(app)  # maintenance banners and last-known-data notes on every channel (issue 19)
    init_notify(app)  # push platform: wake-ups
    staff_messages.init_app(app)  # the push platform's operations API
    from gateway import template_urls

    template_urls.install(app)  # last: after every blueprint (issue 18: each page's URLs built once)
    return app


def _static_dir() -> Path:
    """``static/`` beside the packages in a checkout, or installed as the ``static`` package."""
    if STATIC_DIR.is_dir():
        return STATIC_DIR
    import static  # type: ignore[import-not-found]

    return Path(static.__file__).resolve().parent
