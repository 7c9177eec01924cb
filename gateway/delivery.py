"""Sending one-time SMS codes from a request (web pages and the JSON API alike), inside the per-phone and
per-address limits kept in the limiter's storage, so every gateway node counts alike."""

from __future__ import annotations

import logging

from flask import current_app, request
from limits import parse_many

from gateway.clients import get_clients
from gateway.identity.models import EventKind, SmsPurpose
from gateway.identity.service import record_event
from gateway.identity.sms_codes import issue_code, message_text, phone_digest
from gateway.request_db import get_session
from gateway.security.limits import limiter
from gateway.validation import mask_phone
from notify.sms import SmsError

log = logging.getLogger("shebao.auth")


def rate_ok(limits: str, *key: str) -> bool:
    """Count one hit against each of ``limits`` for ``key`` in the limiter's storage (Redis when set)."""
    return all([limiter.limiter.hit(item, "identity", *key) for item in parse_many(limits)])


def deliver_code(phone: str, purpose: SmsPurpose, person_id: int | None = None) -> tuple[bool, str]:
    """Issue a code for ``phone`` and send it through notify's SMS provider, within the rate limits."""
    secret = current_app.config["SECRET_KEY"]
    # Per phone and per address, in the shared limiter storage so every gateway node counts alike.
    if not (
        rate_ok("1 per minute; 5 per hour", "sms-phone", phone_digest(secret, phone))
        and rate_ok("20 per hour", "sms-ip", request.remote_addr or "-")
    ):
        return False, "验证码发送太频繁，请稍后再试。"
    code = issue_code(get_session(), secret, phone, purpose)
    try:
        get_clients().sms.send(phone, message_text(code))
    except SmsError:
        log.warning("sms send failed", extra={"fields": {"phone": mask_phone(phone)}})
        return False, "短信发送失败，请稍后再试。"
    if person_id is not None:
        masked = mask_phone(phone)
        record_event(get_session(), EventKind.SMS_SENT, person_id=person_id, detail=f"发送至 {masked}")
    return True, mask_phone(phone)
