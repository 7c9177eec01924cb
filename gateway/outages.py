"""When the gateway's own infrastructure fails — Redis stopped, PostgreSQL restarting, the upload store full —
a person gets a clear Chinese 503 page or API error, never a 500; the operator gets an error-level log line
and the ``shebao_infrastructure_failures_total{component}`` counter in ``/metrics`` to alarm on.

Nothing is half-written: the request's transaction rolls back with the 503 (gateway/request_db.py), an upload's
files are removed with it (gateway.db.on_rollback), and the next request after the component is back succeeds
on the same processes — the connection pool checks connections before use (``gateway.db._check_before_use``)
and Redis clients reconnect by themselves.

The failure can come from the view, from opening the session before it (Redis), or from the commit after it
(PostgreSQL going away mid-commit): the first reaches the handlers registered here directly, the other two as
Flask's InternalServerError carrying the original exception, which is looked at too.
"""

from __future__ import annotations

import errno
import logging
from enum import StrEnum

from flask import Flask, Response
from prometheus_client import Counter
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

from gateway.errors import error_response

log = logging.getLogger("shebao.outages")


class Component(StrEnum):
    """The part of the infrastructure that failed, as the metric's label."""

    DATABASE = "database"
    REDIS = "redis"
    STORAGE = "storage"


INFRASTRUCTURE_FAILURES = Counter(
    "shebao_infrastructure_failures",
    "Requests answered 503 because the database, Redis or the file store failed, by component.",
    ["component"],
)
for _component in Component:  # every series from the start, so an alarm rule sees 0 before the first failure
    INFRASTRUCTURE_FAILURES.labels(_component.value)

#: What a person reads, per component (LD/T 01 6.4.5: tell people plainly when a service cannot be offered).
MESSAGES = {
    Component.DATABASE: "系统繁忙，暂时无法完成您的操作，本次操作未生效。请稍后再试或拨打 12333 咨询。",
    Component.REDIS: "登录服务暂时不可用，本次操作未生效。请稍后再试或拨打 12333 咨询。",
    Component.STORAGE: "服务器存储空间暂时不足，文件未能保存，本次操作未生效。请稍后再试或拨打 12333 咨询。",
}
#: Errors of a file store that is full or broken, as opposed to a file that is simply not there.
_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})

_FALLBACK_PAGE = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>服务暂时不可用</title></head>'
    "<body><h1>服务暂时不可用</h1><p>{message}</p></body></html>"
)


def component_of(exc: BaseException | None) -> Component | None:
    """Which infrastructure ``exc`` says is down, or None for any other error."""
    if exc is None:
        return None
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.PendingRollbackError)):
        return Component.DATABASE
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return Component.DATABASE
    try:
        import redis
        from limits.errors import StorageError
    except ImportError:  # pragma: no cover - both are dependencies
        pass
    else:
        if isinstance(exc, (redis.RedisError, StorageError)):
            return Component.REDIS
    if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS:
        return Component.STORAGE
    return None


def unavailable(component: Component, exc: BaseException) -> Response | tuple:
    """Count and log the failure, and answer 503 in Chinese (a bare page if even the error page cannot render,
    since the page's header reads the session and the database that may be the very thing that is down)."""
    INFRASTRUCTURE_FAILURES.labels(component.value).inc()
    # The exception's kind only: a driver's message can carry a connection string.
    log.error("infrastructure unavailable: %s (%s)", component.value, type(exc).__name__)
    message = MESSAGES[component]
    try:
        return error_response(f"{component.value}_unavailable", message, 503)
    except Exception:  # the error page itself needs what is down
        return Response(_FALLBACK_PAGE.format(message=message), status=503, content_type="text/html; charset=utf-8")


def init_app(app: Flask) -> None:
    """Register the handlers; after gateway.errors, whose generic handlers take every other error."""

    def _infrastructure(exc: Exception):
        component = component_of(exc)
        if component is not None:
            return unavailable(component, exc)
        # Not an outage (a missing file, a constraint violation): the generic handler answers as before.
        return app.error_handler_spec[None][None][Exception](exc)

    def _internal(exc: InternalServerError):
        original = getattr(exc, "original_exception", None)
        component = component_of(original)
        if component is not None:
            return unavailable(component, original)
        return app.error_handler_spec[None][None][HTTPException](exc)

    for kind in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.PendingRollbackError, sa_exc.DBAPIError):
        app.register_error_handler(kind, _infrastructure)
    import redis
    from limits.errors import StorageError

    app.register_error_handler(redis.RedisError, _infrastructure)
    app.register_error_handler(StorageError, _infrastructure)
    app.register_error_handler(OSError, _infrastructure)
    app.register_error_handler(InternalServerError, _internal)
