"""What every channel shows about the core system (issue 19; LD/T 01 6.4.5, 6.5.3): announced maintenance windows
ahead of time, and — on a page built while the core system did not answer — which parts are last known data and
how old they are. Templates call ``core_status()`` (web and kiosk banners: ``web/_core_status.html``); the API's
answers carry the same in ``stale`` (:func:`annotate_api`), and ``GET /api/v1/service-status`` lists the windows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from flask import Flask, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from gateway import clock
from gateway.backoffice import maintenance, resilient
from gateway.request_db import get_session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoreStatus:
    windows: list[maintenance.WindowView] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # one Chinese line per answer that is not live


def core_status() -> CoreStatus:
    now = clock.now()
    try:
        windows = maintenance.upcoming(get_session(), now)
    except SQLAlchemyError:
        log.error("maintenance windows unreadable")
        windows = []
    stale = []
    for d in resilient.degraded():
        line = d.message(now)
        if line not in stale:
            stale.append(line)
    return CoreStatus(windows, stale)


def stale_json() -> list[dict]:
    now = clock.now()
    return [
        {"part": d.operation, "as_of": clock.api_local(d.fetched_at, "seconds"), "message": d.message(now)}
        for d in resilient.degraded()
    ]


def _declares_stale() -> bool:
    """Whether the operation's answer declares ``stale`` (API answers hold exactly their declared fields)."""
    view = current_app.view_functions.get(request.endpoint or "")
    spec = getattr(view, "_spec", None) or {}
    schema = (spec.get("response") or {}).get("schema")
    return schema is not None and "stale" in getattr(schema, "fields", {})


def annotate_api(response: Response) -> Response:
    """An API answer built partly from last known data says so: the HTTP ``Warning: 110`` header (RFC 7234's
    "response is stale") always, and ``"stale": [{"part", "as_of", "message"}]`` next to the data where the
    operation declares it."""
    if not request.path.startswith("/api/") or response.mimetype != "application/json" or response.status_code >= 300:
        return response
    stale = stale_json()
    if not stale:
        return response
    response.headers["Warning"] = '110 - "Response is Stale"'
    if not _declares_stale():
        return response
    try:
        body = json.loads(response.get_data(as_text=True))
    except ValueError:
        return response
    if isinstance(body, dict):
        body.setdefault("stale", stale)
        response.set_data(json.dumps(body, ensure_ascii=False))
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.globals["core_status"] = core_status
    app.after_request(annotate_api)
