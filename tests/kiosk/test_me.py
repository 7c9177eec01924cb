"""After login at the kiosk: home with the masked ID and unread count, inbox, a message (marked read),
today's appointments with check-in, the sealed proof of insurance to print, logout and the timeouts."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest
import sqlalchemy as sa

from gateway.catalog import Channel
from gateway.channel_policy import POLICIES
from gateway.identity.models import EventKind, IdentityEvent
from tests.conftest import csrf_token
from tests.kiosk.conftest import HALL, kiosk_login

ME = f"/kiosk/{HALL}/me/"


@pytest.fixture
def someone(accounts):
    return accounts[2]


def test_home_inbox_and_message(client, device, card_of, someone, person_row, deliver_inbox):
    pid = person_row(someone)
    deliver_inbox(pid, 2)
    kiosk_login(client, device, card_of(someone))
    home = client.get(ME).get_data(as_text=True)
    assert 'aria-label="我的消息，2条未读"' in home
    assert re.search(r'id="unread-count"[^>]*>2<', home)
    assert 'id="kiosk-logout"' in home  # logout is on every logged-in page

    inbox = client.get(ME + "inbox/").get_data(as_text=True)
    assert re.search(r"共 \d+ 条，2 条未读", inbox)  # older, read messages of this demo person may be listed too
    first = re.search(r'href="(/kiosk/H01/me/inbox/\d+)"', inbox).group(1)
    message = client.get(first)
    assert message.status_code == 200
    assert "高新区政务服务中心" in message.get_data(as_text=True)
    assert re.search(r"共 \d+ 条，1 条未读", client.get(ME + "inbox/").get_data(as_text=True))
    assert re.search(r'id="unread-count"[^>]*>1<', client.get(ME).get_data(as_text=True))


def test_another_persons_message_is_not_found(
    client, device, card_of, accounts, person_row, deliver_inbox, kiosk_sessions
):
    owner = person_row(accounts[1])
    deliver_inbox(owner, 1)
    from notify.models import NotifyMessage

    kiosk_login(client, device, card_of(accounts[2]))
    with kiosk_sessions() as s:
        message_id = s.scalar(sa.select(sa.func.max(NotifyMessage.id)).where(NotifyMessage.person_id == owner))
    assert client.get(f"{ME}inbox/{message_id}").status_code == 404


def test_check_in_for_todays_appointment(client, device, card_of, someone, person_row, booking_now):
    code = booking_now(person_row(someone))
    kiosk_login(client, device, card_of(someone))
    page = client.get(ME + "appointments").get_data(as_text=True)
    assert code in page
    resp = client.post(f"{ME}appointments/{code}/check-in", data={"csrf_token": csrf_token(page)})
    assert resp.status_code == 302 and resp.location.endswith(f"/kiosk/{HALL}/ticket/{code}")
    ticket = client.get(resp.location).get_data(as_text=True)
    assert re.search(r'id="ticket-number">A\d{3}<', ticket)
    assert "已签到" in client.get(ME + "appointments").get_data(as_text=True)


def test_someone_elses_booking_cannot_be_checked_in(client, device, card_of, accounts, person_row, booking_now):
    code = booking_now(person_row(accounts[1]))
    kiosk_login(client, device, card_of(accounts[2]))
    page = client.get(ME + "appointments").get_data(as_text=True)
    assert code not in page
    assert client.post(f"{ME}appointments/{code}/check-in", data={"csrf_token": csrf_token(page)}).status_code == 404


def test_print_a_sealed_proof_of_insurance(client, device, card_of, person, kiosk_sessions):
    kiosk_login(client, device, card_of(person))
    preview = client.get(ME + "proof")
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "参保险种" in html
    issued = client.post(ME + "proof", data={"csrf_token": csrf_token(html)})
    assert issued.status_code == 302, issued.get_data(as_text=True)
    page = client.get(issued.location).get_data(as_text=True)
    code = re.search(r'id="proof-code">([^<]+)<', page).group(1)
    pdf_url = re.search(r'id="proof-pdf"[^>]*src="([^"]+)"', page).group(1)
    pdf = client.get(pdf_url)
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert b"/ByteRange" in pdf.data  # sealed (a PAdES signature covers the file)
    assert pdf.headers["X-Frame-Options"] == "SAMEORIGIN"
    # The anti-forgery code on the print page verifies publicly.
    verify = client.get("/verify/", query_string={"code": code})
    assert 'data-outcome="genuine"' in verify.get_data(as_text=True)
    with kiosk_sessions() as s:
        trail = s.scalars(
            sa.select(IdentityEvent.detail).where(IdentityEvent.kind == EventKind.OPERATION,
                                                  IdentityEvent.channel == "kiosk")
        ).all()  # fmt: skip
    assert any("参保证明" in (d or "") for d in trail)
    # Logging out deletes the printout: the next person cannot fetch it.
    client.post(f"/kiosk/{HALL}/logout")
    kiosk_login(client, device, card_of(person))
    assert client.get(pdf_url).status_code == 404


def test_logout_goes_back_to_the_start(client, device, card_of, person):
    kiosk_login(client, device, card_of(person))
    resp = client.post(f"/kiosk/{HALL}/logout")
    assert resp.status_code == 302 and resp.location.endswith(f"/kiosk/{HALL}/")
    assert client.get(ME).status_code == 302
    with client.session_transaction() as sess:
        assert "person_id" not in sess


def test_a_web_session_does_not_open_the_kiosk_pages(client, person):
    from tests.conftest import login

    login(client, person.id_number)
    assert client.get(ME).status_code == 302


def test_idle_and_absolute_timeouts_come_from_the_kiosk_policy(client, device, card_of, person, monkeypatch):
    kiosk = POLICIES[Channel.KIOSK]
    kiosk_login(client, device, card_of(person))
    page = client.get(ME).get_data(as_text=True)
    assert f'data-idle-seconds="{kiosk.idle_timeout_s}"' in page
    left = int(re.search(r'data-session-left="(\d+)"', page).group(1))
    assert kiosk.absolute_timeout_s - 5 <= left <= kiosk.absolute_timeout_s
    # A short idle limit in the policy: the server forgets the session once it passed.
    monkeypatch.setitem(POLICIES, Channel.KIOSK, replace(kiosk, idle_timeout_s=1))
    time.sleep(2.1)
    assert client.get(ME).status_code == 302
    # And the absolute limit ends even a busy session.
    monkeypatch.setitem(POLICIES, Channel.KIOSK, kiosk)
    kiosk_login(client, device, card_of(person))
    monkeypatch.setitem(POLICIES, Channel.KIOSK, replace(kiosk, absolute_timeout_s=1))
    time.sleep(1.1)
    assert client.get(ME).status_code == 302


def test_kiosk_qr_login(client, sandbox_url, person, kiosk_sessions):
    """The e-SSC QR on the kiosk: the holder approves on the phone, the kiosk page's poll logs them in."""
    import requests

    from gateway.identity.models import AuthFlow

    page = client.get(f"/kiosk/{HALL}/login/qr").get_data(as_text=True)
    assert "电子社保卡登录二维码" in page
    status_url = re.search(r'data-status-url="([^"]+)"', page).group(1)
    assert client.get(status_url).get_json() == {"status": "pending"}
    with client.session_transaction() as sess:
        state = sess["kiosk_qr_state"]
    with kiosk_sessions() as s:
        flow = s.scalar(sa.select(AuthFlow).where(AuthFlow.state == state))
    assert flow.channel == "kiosk"
    # What the e-SSC app does after scanning the QR (its URL carries the state and nonce of this flow).
    approve = requests.post(
        sandbox_url + "/essc/authorize",
        data={"client_id": "shebao-gateway", "redirect_uri": "http://localhost/account/essc/callback", "state": state,
              "nonce": flow.nonce, "mode": "qr", "aac002": person.id_number, "aac003": person.name},
        timeout=5,
    )  # fmt: skip
    assert approve.status_code == 200
    done = client.get(status_url)
    assert done.get_json() == {"status": "done", "next": ME}, done.get_data(as_text=True)
    assert person.name in client.get(ME).get_data(as_text=True)
    with client.session_transaction() as sess:
        assert sess["auth_level"] == 3 and sess["auth_methods"] == ["essc_qr"] and sess["kiosk_hall"] == HALL
