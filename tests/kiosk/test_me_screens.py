"""The kiosk's screens after issues 14 and 20: 我的 shows the registered document (type and masked number) as the
web's 我的 does, the person's upcoming bookings are all listed (not only today's), "完成" on every screen ends the
session at once and goes back to the card screen, and the sealed proof is shown and printed, never saved."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
import sqlalchemy as sa

from gateway.backoffice.demo import DEMO_DOCUMENT_PEOPLE
from gateway.backoffice.local import LocalBackOffice
from gateway.identity.models import EventKind, IdentityEvent
from gateway.validation import DocumentType, describe_document, mask_card_number, mask_id_number
from tests.conftest import csrf_token
from tests.identity.documents_helpers import add_holder
from tests.kiosk.conftest import HALL, kiosk_login

ME = f"/kiosk/{HALL}/me/"
CARD_SCREEN = f"/kiosk/{HALL}/login/card"


def _text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]*)<', html)
    assert match, f"no #{element_id} on the page"
    return match.group(1)


# ---------------------------------------------------------------- 1. the document in 我的 (issue 20)


def test_home_shows_a_residence_permit_holders_document_masked(client, device, kiosk_sessions):
    """LD/T 01 6.2.3 b–d: a Hong Kong resident logged in with the card sees the residence permit named, its
    number masked (Regulation Art. 49), the masked social security and card numbers — never a full number."""
    hongkong = next(d for d in DEMO_DOCUMENT_PEOPLE if d.doc_type is DocumentType.RESIDENCE_PERMIT)
    record = LocalBackOffice(kiosk_sessions).find_person(hongkong.social_security_number)
    kiosk_login(client, device, (record.card_number, record.id_number, record.name))
    html = client.get(ME).get_data(as_text=True)
    name, masked = describe_document(DocumentType.RESIDENCE_PERMIT, hongkong.doc_number)
    assert name == "港澳台居民居住证"
    assert _text(html, "my-document") == f"{name} {masked}"
    assert _text(html, "masked-id") == mask_id_number(hongkong.social_security_number)
    assert _text(html, "my-card") == mask_card_number(record.card_number)
    assert hongkong.doc_number not in html and record.card_number not in html


def test_home_shows_a_permanent_residents_document_not_the_passport(client, device, kiosk_sessions):
    """A foreigner registered with the 2023 permanent residence ID sees that document, not their passport."""
    foreigner = next(d for d in DEMO_DOCUMENT_PEOPLE if d.doc_type is DocumentType.PERMANENT_RESIDENCE)
    record = LocalBackOffice(kiosk_sessions).find_person(foreigner.social_security_number)
    kiosk_login(client, device, (record.card_number, record.id_number, record.name))
    html = client.get(ME).get_data(as_text=True)
    name, masked = describe_document(DocumentType.PERMANENT_RESIDENCE, foreigner.doc_number)
    assert _text(html, "my-document") == f"{name} {masked}"
    assert "护照" not in _text(html, "my-document")
    assert foreigner.doc_number not in html


def test_a_foreigner_new_to_the_gateway_is_shown_by_the_cards_document(client, device, kiosk_sessions, database_url):
    """A permanent resident whose first visit is at a kiosk (the card carries only the social security number)
    is shown by the back office's document of that number, not as a resident ID holder (LD/T 01 6.2.3 b)."""
    holder = add_holder(database_url, "foreigner", "索菲亚·罗西")
    record = LocalBackOffice(kiosk_sessions).find_person(holder.social_security_number)
    kiosk_login(client, device, (record.card_number, record.id_number, record.name))
    html = client.get(ME).get_data(as_text=True)
    name, masked = describe_document(DocumentType.PERMANENT_RESIDENCE, holder.social_security_number)
    assert _text(html, "my-document") == f"{name} {masked}"


def test_home_shows_a_resident_id_for_a_citizen(client, device, card_of, person):
    card = card_of(person)
    kiosk_login(client, device, card)
    html = client.get(ME).get_data(as_text=True)
    assert _text(html, "my-document") == f"居民身份证 {mask_id_number(person.id_number)}"
    assert person.id_number not in html and card[0] not in html


# ---------------------------------------------------------------- 2. every upcoming booking


@pytest.fixture
def book_on(kiosk_sessions):
    """A booking for a person on a day (relative to today) at a hall, in a status; removed afterwards."""
    from datetime import time

    from gateway.appointments.models import Booking, BookingStatus, Hall, Slot
    from gateway.appointments.service import CODE_ALPHABET, CODE_LENGTH
    from gateway.clock import local_now, utc

    made: list[str] = []
    # A person holds one live booking per item: each booking here is for another item than booking_now's.
    items = iter(
        ["rights-registration", "rights-transfers", "rights-benefits", "cert-transfer-voucher", "rights-contributions"]
    )

    def book(person_id: int, days: int, hall_code: str = HALL, status=BookingStatus.BOOKED) -> str:
        day = local_now().date() + timedelta(days=days)
        at = time(7, secrets.randbelow(30))  # before opening hours: no clash with the halls' own slots
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        with kiosk_sessions.begin() as s:
            hall = s.scalar(sa.select(Hall).where(Hall.code == hall_code))
            slot = Slot(hall_id=hall.id, day=day, start=at, end=time(at.hour, at.minute + 29), capacity=1, booked=1)
            s.add(slot)
            s.flush()
            s.add(Booking(code=code, person_id=person_id, item_id=next(items), slot_id=slot.id,
                          status=status, priority=False, channel="web",
                          created_at=utc(local_now() - timedelta(days=10))))  # fmt: skip
        made.append(code)
        return code

    yield book
    with kiosk_sessions.begin() as s:
        slots = list(s.scalars(sa.select(Booking.slot_id).where(Booking.code.in_(made))))
        s.execute(sa.delete(Booking).where(Booking.code.in_(made)))
        s.execute(sa.delete(Slot).where(Slot.id.in_(slots)))


def test_all_upcoming_bookings_are_listed_soonest_first(
    client, device, card_of, accounts, person_row, booking_now, book_on, kiosk_sessions
):
    from gateway.appointments.models import BookingStatus, Hall

    someone = accounts[2]
    pid = person_row(someone)
    with kiosk_sessions() as s:
        other_hall = s.scalar(sa.select(Hall.code).where(Hall.code != HALL).order_by(Hall.code))
    today_here = booking_now(pid)
    next_week_elsewhere = book_on(pid, 7, other_hall)
    in_three_days_here = book_on(pid, 3)
    yesterday = book_on(pid, -1)
    cancelled = book_on(pid, 5, status=BookingStatus.CANCELLED)
    kiosk_login(client, device, card_of(someone))
    html = client.get(ME + "appointments").get_data(as_text=True)
    listed = re.findall(r'class="kiosk-appointment" data-code="([^"]+)"', html)
    mine = [c for c in listed if c in {today_here, next_week_elsewhere, in_three_days_here, yesterday, cancelled}]
    assert mine == [today_here, in_three_days_here, next_week_elsewhere]
    # Only today's booking at this hall can be checked in from here.
    assert f"/appointments/{today_here}/check-in" in html
    assert f"/appointments/{in_three_days_here}/check-in" not in html
    assert f"/appointments/{next_week_elsewhere}/check-in" not in html
    with kiosk_sessions() as s:
        elsewhere = s.scalar(sa.select(Hall.name).where(Hall.code == other_hall))
    item = re.search(rf'data-code="{next_week_elsewhere}">(.*?)</li>', html, re.S).group(1)
    assert elsewhere in item and "今天" not in item


def test_a_refused_check_in_still_lists_every_upcoming_booking(client, device, card_of, accounts, person_row, book_on):
    someone = accounts[2]
    pid = person_row(someone)
    later = book_on(pid, 4)
    kiosk_login(client, device, card_of(someone))
    page = client.get(ME + "appointments").get_data(as_text=True)
    # Not today: the check-in use case refuses, and the page says why with the list still there.
    refused = client.post(f"{ME}appointments/{later}/check-in", data={"csrf_token": csrf_token(page)})
    assert refused.status_code >= 400
    html = refused.get_data(as_text=True)
    assert 'role="alert"' in html and f'data-code="{later}"' in html


# ---------------------------------------------------------------- 3. 完成 ends the session


def test_done_ends_the_session_at_once_and_shows_the_card_screen(client, device, card_of, person, kiosk_sessions):
    kiosk_login(client, device, card_of(person))
    page = client.get(ME).get_data(as_text=True)
    assert re.search(r'id="kiosk-done"[^>]*>', page) and ">完成</button>" in page
    done = client.post(f"/kiosk/{HALL}/done")
    assert done.status_code == 302 and done.location.endswith(CARD_SCREEN)
    with client.session_transaction() as sess:
        assert "person_id" not in sess and "kiosk_hall" not in sess
    assert client.get(ME).status_code == 302  # the next person finds no one logged in
    card_screen = client.get(done.location).get_data(as_text=True)
    assert "社保卡登录" in card_screen and 'id="kiosk-logout"' not in card_screen
    with kiosk_sessions() as s:
        last = s.scalar(sa.select(IdentityEvent).order_by(IdentityEvent.id.desc()).limit(1))
    assert last.kind == EventKind.LOGOUT and last.channel == "kiosk"


def test_done_is_on_every_hall_screen_and_works_without_a_session(client, device, card_of, person):
    for url in (f"/kiosk/{HALL}/", f"/kiosk/{HALL}/check-in", CARD_SCREEN, f"/kiosk/{HALL}/login/qr"):
        html = client.get(url).get_data(as_text=True)
        assert f'action="/kiosk/{HALL}/done"' in html, url
    kiosk_login(client, device, card_of(person))
    for url in (ME, ME + "inbox/", ME + "appointments", ME + "proof"):
        html = client.get(url).get_data(as_text=True)
        assert f'action="/kiosk/{HALL}/done"' in html, url
    client.post(f"/kiosk/{HALL}/logout")
    # Someone taps 完成 after the session died anyway (no CSRF token left to check): still the card screen.
    again = client.post(f"/kiosk/{HALL}/done")
    assert again.status_code == 302 and again.location.endswith(CARD_SCREEN)
    assert client.post("/kiosk/NOPE/done").status_code == 404


# ---------------------------------------------------------------- 4. the keypad's markup (the browser test taps it)


def test_check_in_keypad_offers_every_code_character_labelled(client):
    from gateway.appointments.service import CODE_ALPHABET

    html = client.get(f"/kiosk/{HALL}/check-in").get_data(as_text=True)
    keys = re.findall(r'data-key="([^"]+)" aria-label="输入 ([^"]+)">([^<]+)</button>', html)
    assert [k for k, _, _ in keys] == list(CODE_ALPHABET)
    assert all(k == label == shown for k, label, shown in keys)
    assert 'aria-label="删除一位"' in html and 'aria-label="清空全部"' in html
    assert 'inputmode="none"' in html
    assert "<script>" not in html and "onclick" not in html  # strict CSP: no inline script
    assert '/static/js/kiosk-keypad.js"' in html
    assert "script-src 'self'" in client.get(f"/kiosk/{HALL}/check-in").headers["Content-Security-Policy"]


# ---------------------------------------------------------------- 5. the certificate viewer: view and print only


def test_the_sealed_proof_is_shown_and_printed_never_downloaded(client, device, card_of, person):
    kiosk_login(client, device, card_of(person))
    preview = client.get(ME + "proof").get_data(as_text=True)
    issued = client.post(ME + "proof", data={"csrf_token": csrf_token(preview)})
    page = client.get(issued.location).get_data(as_text=True)
    assert "download" not in page.lower()  # no download link or attribute anywhere on the viewer
    src = re.search(r'id="proof-pdf"[^>]*src="([^"]+)"', page).group(1).replace("&amp;", "&")
    pdf_url, _, viewer = src.partition("#")
    assert "toolbar=0" in viewer  # the PDF viewer's toolbar (and its save button) is not shown
    framed = client.get(pdf_url, headers={"Sec-Fetch-Dest": "iframe"})
    assert framed.status_code == 200 and framed.data.startswith(b"%PDF")
    assert framed.headers["Content-Disposition"] == "inline"  # no attachment, no file name
    assert framed.headers["Cache-Control"] == "no-store"
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    # Opened as a page of its own (where the viewer would offer to save it): not served.
    assert client.get(pdf_url, headers={"Sec-Fetch-Dest": "document"}).status_code == 404
