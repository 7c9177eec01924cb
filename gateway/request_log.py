"""Structured request logging: one JSON line per request, tagged with a request id and the channel."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, request

from gateway.channel_policy import CHANNEL_HEADER, channel_for_request, policy_for

REQUEST_ID_HEADER = "X-Request-Id"
log = logging.getLogger("shebao.request")

# Secrets that URLs carry as query parameters (WeChat's token URL has the AppSecret; OAuth codes and tokens):
# a logged URL or an exception's text keeps the name and loses the value (ASVS 5.0 16.2.5, 14.2.1).
_SECRET_PARAM = re.compile(
    r"(?i)(^|[?&\s'\"(,;])((?:app)?secret|client_secret|access_token|refresh_token|js_code|code|password|sign|"
    r"api_key|apikey|token|ticket)=([^&\s'\",;)#]+)"
)


def redact(text: str) -> str:
    """``text`` with the values of secret-bearing URL parameters replaced by ``***``."""
    return _SECRET_PARAM.sub(r"\1\2=***", text)


class JsonFormatter(logging.Formatter):
    """Log records as JSON; extra fields given as ``extra={"fields": {...}}`` are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        data.update({k: redact(v) if isinstance(v, str) else v for k, v in getattr(record, "fields", {}).items()})
        if record.exc_info:
            data["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)


def _valid_request_id(value: str | None) -> str | None:
    # Accept a load balancer's id only if it is short and plain, so it can't inject into logs.
    if value and len(value) <= 64 and all(c.isalnum() or c in "-_." for c in value):
        return value
    return None


def init_app(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_id = _valid_request_id(request.headers.get(REQUEST_ID_HEADER)) or uuid.uuid4().hex
        g.channel = channel_for_request(request.path, request.headers.get(CHANNEL_HEADER))
        g.channel_policy = policy_for(g.channel)
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        if request.path.startswith("/static/"):
            return response
        log.info(
            "request",
            extra={
                "fields": {
                    "request_id": g.get("request_id"),
                    "channel": getattr(g.get("channel"), "value", None),
                    "method": request.method,
                    # The path only: query strings may carry ID numbers.
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1),
                }
            },
        )
        return response
