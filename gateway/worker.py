"""The dispatcher as a process: ``shebao worker`` (started beside the gateway by ``shebao serve``).

Embedded mode: one worker process next to gunicorn — web workers never talk to providers, so a slow or
failing SMS gateway never holds up a person's request. Several machines: run ``shebao worker`` on as many
nodes as needed; the atomic claim keeps them from sending anything twice, and with ``SHEBAO_REDIS_URL``
they wake on every commit instead of polling.
"""

from __future__ import annotations

import logging
import signal
import threading

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from gateway.clients import build_clients
from gateway.config import Settings
from notify import wakeup
from notify.clock import QuietHours
from notify.dispatcher import Dispatcher, RetryPolicy
from notify.kinds import Channel
from notify.providers import DirectoryContacts, InboxProvider, SmsProvider, WeChatProvider

log = logging.getLogger("shebao.notify")


def build_dispatcher(settings: Settings, engine: Engine, **overrides) -> Dispatcher:
    """A dispatcher wired to the configured providers, through the clients the app builds too
    (:func:`gateway.clients.build_clients`): phone numbers come from the configured back office."""
    from gateway.security.pii import PiiVault

    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    clients = build_clients(settings, sessions)
    contacts = DirectoryContacts(
        sessions, PiiVault(settings.secret_key, settings.secret_key_fallbacks), clients.backoffice
    )
    sms = clients.sms
    wechat = clients.wechat
    options = {
        "sessions": sessions,
        "providers": {
            Channel.INBOX: InboxProvider(),
            Channel.SMS: SmsProvider(sms, contacts),
            Channel.WECHAT: WeChatProvider(wechat, contacts),
        },
        "retry": RetryPolicy(
            max_attempts=settings.notify_max_attempts, base_seconds=float(settings.notify_backoff_seconds)
        ),
        "quiet_hours": QuietHours(settings.notify_quiet_hours),
        "sms_receipts": sms,
        "concurrency": settings.notify_concurrency,
    }
    options.update(overrides)
    return Dispatcher(**options)


def run(settings: Settings, once: bool = False) -> None:
    """Run the dispatcher until SIGTERM/SIGINT (or, with ``once``, until nothing is due)."""
    from gateway.db import make_engine
    from gateway.request_log import configure_logging

    configure_logging(settings.log_level)
    wakeup.configure(settings.redis_url)
    engine = make_engine(settings.database_url)
    dispatcher = build_dispatcher(settings, engine)
    try:
        if once:
            log.info("notify: %s", dispatcher.run_until_idle())
            return
        stop = threading.Event()

        def _stop(*_):
            stop.set()
            wakeup.signal()  # leave a blocking wait at once

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        dispatcher.run_forever(stop, poll_seconds=settings.notify_poll_seconds)
    finally:
        dispatcher.close()
        engine.dispose()
