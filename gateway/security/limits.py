"""Rate limits (Flask-Limiter): in memory for the embedded mode, shared in Redis when configured."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def init_app(app: Flask) -> None:
    redis_url = app.config["SETTINGS"].redis_url
    # Per-process memory storage suits one embedded node; several nodes must share Redis.
    app.config["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    app.config["RATELIMIT_ENABLED"] = app.config["SETTINGS"].rate_limits
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "shebao")
    limiter.init_app(app)
