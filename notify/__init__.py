"""The one push platform (LD/T 01 5.4.4): templates, an outbox, a dispatcher with retries and delivery
status, providers (inbox, SMS, WeChat subscribe messages), preferences and a staff view.

Other parts of the gateway use one function::

    notify.enqueue(session, person_id=…, kind=notify.MessageKind.APPOINTMENT_BOOKED,
                   template="appointment_booked", params={…}, idempotency_key=f"appt-{id}-booked")

inside their own transaction; the message is sent after they commit, by ``shebao worker``.
"""

from __future__ import annotations

from notify import inbox, sms
from notify.kinds import Channel, MessageKind, MessageStatus
from notify.outbox import enqueue
from notify.rendering import TemplateError, load_templates

__all__ = [
    "Channel",
    "MessageKind",
    "MessageStatus",
    "TemplateError",
    "enqueue",
    "inbox",
    "init_app",
    "load_templates",
    "sms",
]


def init_app(app) -> None:
    """Wake-ups through Redis when configured. (The staff page is the console's, ``channels.hotline.messages``;
    the operations API is ``gateway.api.staff_messages``.)"""
    from notify import wakeup

    wakeup.configure(app.config["SETTINGS"].redis_url)
