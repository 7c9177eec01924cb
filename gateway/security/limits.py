"""Rate limits (Flask-Limiter), keyed on the client's address (``gateway.security.proxies``): shared in Redis
when configured, else in one SQLite file under ``var/`` that every worker on the machine shares."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from gateway.security import limit_storage  # noqa: F401 - registers the shebao-sqlite:// storage scheme
from gateway.security.at_rest import private_dir, private_file

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
STORAGE_FILE = "ratelimits.db"


def init_app(app: Flask) -> None:
    settings = app.config["SETTINGS"]
    # Per-process memory would multiply every limit by the number of workers (issue 13): Redis for several
    # machines, a SQLite file for the workers of one.
    if settings.redis_url:
        app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url
    else:
        # Counters keyed by client address and subject: private, like the database (gateway/security/at_rest.py).
        counters = private_file(private_dir(settings.var_dir) / STORAGE_FILE)
        app.config["RATELIMIT_STORAGE_URI"] = f"shebao-sqlite://{counters.resolve()}"
    app.config["RATELIMIT_ENABLED"] = settings.rate_limits
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "shebao")
    limiter.init_app(app)
