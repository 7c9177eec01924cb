"""Delivery providers behind one base class: inbox (站内信), SMS via the gateway, WeChat subscribe messages.

A provider answers an :class:`Outcome`; it never raises for a delivery problem. Temporary problems (the
provider is busy or unreachable) are retried with backoff; permanent ones (no phone number, the user has not
accepted the WeChat template) are not.
"""

from __future__ import annotations

import abc
import json
import logging
from dataclasses import dataclass
from typing import Protocol

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from gateway.backoffice.interface import BackOffice, BackOfficeUnavailable
from gateway.backoffice.resilient import batched
from gateway.identity.models import Person
from gateway.identity.service import identity_of
from gateway.security.pii import PiiVault
from gateway.validation import mask_phone
from notify.kinds import Channel, MessageKind
from notify.models import AttemptOutcome
from notify.sms import SmsClient, SmsError
from notify.wechat import WeChatClientException, WeChatGateway, claim_recipient, settle_grant

log = logging.getLogger("shebao.notify")

#: WeChat error codes worth retrying: system busy, rate limits, HTTP errors (errcode None).
WECHAT_TEMPORARY = {None, -1, 45009, 45011, 45047}


@dataclass(frozen=True)
class Outgoing:
    """What a provider needs of one claimed outbox row (a plain copy: providers never touch the session)."""

    id: int
    person_id: int
    kind: MessageKind
    channel: Channel
    title: str
    body: str
    link: str | None
    sms_text: str | None
    wechat_payload: str | None
    attempts: int
    resend_count: int


@dataclass(frozen=True)
class Outcome:
    result: AttemptOutcome
    provider_id: str | None = None
    error: str | None = None
    address_masked: str | None = None


class Contacts(Protocol):
    """Where to reach a person, looked up when the message is sent (so a changed number is used)."""

    def phone(self, person_id: int) -> str | None: ...

    def wechat_openid(self, person_id: int, template_id: str | None) -> str | None:
        """The mini-program openid that accepted ``template_id``, one acceptance taken (notify.wechat)."""

    def wechat_unsent(self, openid: str, template_id: str, errcode: int | None) -> None:
        """WeChat did not send: give the acceptance back, or forget it (notify.wechat.settle_grant)."""


class DirectoryContacts:
    """Phone from the core system (the registered number, bo ``phone`` via BackOffice); openid from the
    person's WeChat credential."""

    def __init__(self, sessions: sessionmaker[Session], vault: PiiVault, backoffice: BackOffice) -> None:
        self.sessions, self.vault, self.backoffice = sessions, vault, backoffice

    def phone(self, person_id: int) -> str | None:
        with self.sessions() as s:
            person = s.get(Person, person_id)
            if person is None:
                return None
            id_number = identity_of(self.vault, person).id_number
        record = self.backoffice.find_person(id_number)
        return record.phone if record is not None and record.phone else None

    def phones(self, person_ids: set[int]) -> dict[int, str | None]:
        """:meth:`phone` for a batch: the people read and their ID numbers decrypted in one query."""
        with self.sessions() as s:
            people = s.scalars(select(Person).where(Person.id.in_(person_ids))).all()
            id_numbers = {p.id: identity_of(self.vault, p).id_number for p in people}
        found: dict[int, str | None] = dict.fromkeys(person_ids)
        with batched(self.backoffice):  # the batch's exchange-log entries written once, not once per person
            for person_id, id_number in id_numbers.items():
                record = self.backoffice.find_person(id_number)
                found[person_id] = record.phone if record is not None and record.phone else None
        return found

    def wechat_openid(self, person_id: int, template_id: str | None) -> str | None:
        return claim_recipient(self.sessions, person_id, template_id)

    def wechat_unsent(self, openid: str, template_id: str, errcode: int | None) -> None:
        settle_grant(self.sessions, openid, template_id, errcode)


class Provider(abc.ABC):
    """One delivery channel."""

    channel: Channel

    @abc.abstractmethod
    def send(self, message: Outgoing) -> Outcome:
        """Deliver ``message`` or say why not; never raise for a delivery problem."""

    def prepare(self, messages: list[Outgoing]) -> None:  # noqa: B027 - optional hook
        """Called once per batch before the sends: look up in bulk what each :meth:`send` would look up."""


class InboxProvider(Provider):
    """The outbox row is the inbox entry: delivering makes it visible to the person, on every channel."""

    channel = Channel.INBOX

    def send(self, message: Outgoing) -> Outcome:
        return Outcome(AttemptOutcome.DELIVERED, address_masked="站内信")


def sms_out_id(message_id: int, resend_count: int) -> str:
    """The client reference the SMS gateway dedupes on: a crash-and-retry sends once; a staff resend anew."""
    return f"notify-{message_id}-{resend_count}"


def parse_out_id(out_id: str | None) -> tuple[int, int] | None:
    if not out_id or not out_id.startswith("notify-"):
        return None
    try:
        message_id, resend = out_id.removeprefix("notify-").split("-")
        return int(message_id), int(resend)
    except ValueError:
        return None


class SmsProvider(Provider):
    channel = Channel.SMS

    def __init__(self, client: SmsClient, contacts: Contacts) -> None:
        self.client, self.contacts = client, contacts
        # message id → phone looked up for the current batch (sends pop them; a miss looks up alone)
        self._phones: dict[int, str | None] = {}

    def prepare(self, messages: list[Outgoing]) -> None:
        bulk = getattr(self.contacts, "phones", None)
        if bulk is None or not messages:
            return
        try:
            phones = bulk({m.person_id for m in messages})
        except BackOfficeUnavailable:
            return  # each send looks up (and reports) on its own
        self._phones = {m.id: phones.get(m.person_id) for m in messages}

    def send(self, message: Outgoing) -> Outcome:
        try:
            if message.id in self._phones:
                phone = self._phones.pop(message.id)
            else:
                phone = self.contacts.phone(message.person_id)
        except BackOfficeUnavailable as exc:
            return Outcome(AttemptOutcome.TEMPORARY_FAILURE, error=f"查询手机号码失败：{exc}"[:255])
        if not phone:
            return Outcome(AttemptOutcome.PERMANENT_FAILURE, error="没有登记手机号码")
        masked = mask_phone(phone)
        try:
            provider_id = self.client.send(
                phone, message.sms_text or "", out_id=sms_out_id(message.id, message.resend_count)
            )
        except SmsError as exc:
            result = AttemptOutcome.TEMPORARY_FAILURE if exc.temporary else AttemptOutcome.PERMANENT_FAILURE
            return Outcome(result, error=f"{exc.code}: {exc}"[:255], address_masked=masked)
        # Accepted by the gateway; "delivered" waits for the operator's receipt.
        return Outcome(AttemptOutcome.ACCEPTED, provider_id=provider_id, address_masked=masked)


class WeChatProvider(Provider):
    channel = Channel.WECHAT

    def __init__(self, client: WeChatGateway, contacts: Contacts) -> None:
        self.client, self.contacts = client, contacts

    def send(self, message: Outgoing) -> Outcome:
        payload = json.loads(message.wechat_payload or "{}")
        openid = self.contacts.wechat_openid(message.person_id, payload.get("template_id"))
        if not openid:
            # Only a mini-program openid that accepted this template may receive it (issue 14).
            return Outcome(AttemptOutcome.PERMANENT_FAILURE, error="未在小程序中订阅该消息")
        masked = openid[:4] + "****" + openid[-4:]
        data = {key: {"value": value} for key, value in payload.get("data", {}).items()}
        try:
            answer = self.client.wxa.send_subscribe_message(
                openid, payload.get("template_id"), data, page=payload.get("page")
            )
        except WeChatClientException as exc:
            self.contacts.wechat_unsent(openid, payload.get("template_id"), exc.errcode)
            result = (
                AttemptOutcome.TEMPORARY_FAILURE
                if exc.errcode in WECHAT_TEMPORARY
                else AttemptOutcome.PERMANENT_FAILURE
            )
            return Outcome(result, error=f"errcode {exc.errcode}: {exc.errmsg}"[:255], address_masked=masked)
        except requests.RequestException as exc:
            self.contacts.wechat_unsent(openid, payload.get("template_id"), None)
            return Outcome(AttemptOutcome.TEMPORARY_FAILURE, error=type(exc).__name__, address_masked=masked)
        msgid = answer.get("msgid") if isinstance(answer, dict) else None
        return Outcome(AttemptOutcome.DELIVERED, provider_id=str(msgid) if msgid else None, address_masked=masked)
