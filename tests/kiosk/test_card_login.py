"""Card + PIN login at an enrolled kiosk (DESIGN "Identity"): the gateway takes a signed card-read result
with a PIN verdict — from an enrolled, enabled kiosk of this hall, fresh and used once — never a PIN."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
import requests
import sqlalchemy as sa

from gateway.identity.models import EventKind, IdentityEvent
from gateway.kiosk.devices import set_enabled
from gateway.staff.models import StaffRole
from gateway.validation import make_id_number
from tests.conftest import TEST_SECRET, csrf_token, staff_login
from tests.kiosk.conftest import HALL, PIN, card_read

LOGIN = f"/kiosk/{HALL}/login/card"


def post_read(client, body: dict, hall: str = HALL):
    page = client.get(f"/kiosk/{hall}/login/card")
    assert page.status_code == 200
    # The page hands its CSRF token to the card script in a data attribute; the script sends it as a header.
    token = re.search(r'data-csrf="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(f"/kiosk/{hall}/login/card", json=body, headers={"X-CSRFToken": token})


def assert_refused(resp, status: int, code: str) -> None:
    assert resp.status_code == status, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert error["code"] == code
    assert any("\u4e00" <= c <= "\u9fff" for c in error["message"])  # a Chinese message for the person


def test_card_and_pin_log_in_at_level_3(client, device, card_of, person):
    resp = post_read(client, card_read(device, card_of(person)))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["next"] == f"/kiosk/{HALL}/me/"
    home = client.get(f"/kiosk/{HALL}/me/")
    html = home.get_data(as_text=True)
    assert home.status_code == 200
    assert person.name in html
    assert person.id_number not in html  # the ID number is masked on screen
    assert person.id_number[:3] in html and person.id_number[-4:] in html
    with client.session_transaction() as sess:
        assert sess["auth_level"] == 3 and sess["auth_methods"] == ["card_pin"]


def test_login_through_the_card_reader_bridge(client, bridge, card_of, person):
    """The real sequence: card in the slot, a read, the PIN on the reader's keypad, the signed result."""
    card_number, id_number, name = card_of(person)
    requests.post(bridge + "/test/insert", json={"card_number": card_number, "aac002": id_number, "aac003": name,
                                                 "pin": PIN}, timeout=5).raise_for_status()  # fmt: skip
    assert requests.get(bridge + "/status", timeout=5).json()["card"] == "present"
    read_id = requests.post(bridge + "/read", timeout=5).json()["read_id"]
    assert requests.get(f"{bridge}/read/{read_id}", timeout=5).json() == {"status": "waiting_pin"}
    requests.post(bridge + "/test/keypad", json={"pin": PIN}, timeout=5).raise_for_status()
    result = requests.get(f"{bridge}/read/{read_id}", timeout=5).json()
    assert result["status"] == "done"
    assert PIN not in str(result)  # the verdict leaves the reader, the PIN does not
    assert result["payload"]["pin_verdict"] == "ok"
    resp = post_read(client, {"payload": result["payload"], "signature": result["signature"]})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    # The same signed result a second time is a replay.
    assert_refused(post_read(client, {"payload": result["payload"], "signature": result["signature"]}),
                   409, "replayed_request")  # fmt: skip
    requests.post(bridge + "/test/remove", timeout=5)


def test_an_unenrolled_device_is_refused(client, device, card_of, person):
    body = card_read(device, card_of(person), device_id="KSK-H01-NOTREAL")
    assert_refused(post_read(client, body), 403, "unknown_device")


def test_a_disabled_device_or_another_halls_device_is_refused(client, device, card_of, person, kiosk_sessions):
    assert_refused(post_read(client, card_read(device, card_of(person)), hall="H02"), 403, "wrong_hall")
    with kiosk_sessions.begin() as s:
        set_enabled(s, device.device_id, False)
    assert_refused(post_read(client, card_read(device, card_of(person))), 403, "device_disabled")


def test_a_bad_signature_is_refused(client, device, card_of, person, accounts):
    body = card_read(device, card_of(person))
    # Signed for one person, then changed to name another: the signature no longer matches.
    body["payload"]["aac002"] = accounts[1].id_number
    assert_refused(post_read(client, body), 401, "bad_signature")
    body = card_read(device, card_of(person))
    body["signature"] = body["signature"][:-4] + "AAAA"
    assert_refused(post_read(client, body), 401, "bad_signature")


def test_a_replayed_nonce_is_refused(client, device, card_of, person):
    body = card_read(device, card_of(person))
    assert post_read(client, body).status_code == 200
    again = card_read(device, card_of(person), nonce=body["payload"]["nonce"])  # fresh signature, same nonce
    assert_refused(post_read(client, again), 409, "replayed_request")


def test_a_stale_timestamp_is_refused(client, device, card_of, person):
    assert_refused(post_read(client, card_read(device, card_of(person), ts=int(time.time()) - 300)),
                   401, "stale_request")  # fmt: skip
    assert_refused(post_read(client, card_read(device, card_of(person), ts=int(time.time()) + 300)),
                   401, "stale_request")  # fmt: skip


def test_malformed_requests_get_a_clear_message(client, device, card_of, person):
    assert_refused(post_read(client, {"payload": "x", "signature": 5}), 400, "bad_request")
    assert_refused(post_read(client, card_read(device, card_of(person), aac002="123")), 400, "bad_card_read")
    assert_refused(post_read(client, card_read(device, card_of(person), verdict="maybe")), 400, "bad_card_read")


def test_wrong_pins_lock_the_card(client, device, card_of, accounts, clear_card_guards, kiosk_sessions):
    someone = accounts[1]
    card = card_of(someone)
    clear_card_guards(card[0])
    # LD/T 01 6.2.5 c: 5 wrong PINs in 15 minutes lock, as 5 wrong passwords do.
    first = post_read(client, card_read(device, card, "wrong"))
    assert_refused(first, 401, "wrong_pin")
    assert "还可以再试 4 次" in first.get_json()["error"]["message"]
    for _ in range(3):
        assert_refused(post_read(client, card_read(device, card, "wrong")), 401, "wrong_pin")
    locked = post_read(client, card_read(device, card, "wrong"))
    assert_refused(locked, 423, "card_locked")
    # Locked: even the right PIN is refused until the lock period ends.
    assert_refused(post_read(client, card_read(device, card, "ok")), 423, "card_locked")
    with kiosk_sessions() as s:
        kinds = list(
            s.scalars(
                sa.select(IdentityEvent.kind)
                .where(IdentityEvent.method == "card_pin", IdentityEvent.channel == "kiosk",
                       IdentityEvent.detail.like(f"%{device.device_id}%"))
                .order_by(IdentityEvent.id)
            )
        )  # fmt: skip
    assert kinds == [EventKind.LOGIN_FAILED] * 5 + [EventKind.LOCKED]
    with client.session_transaction() as sess:
        assert "person_id" not in sess


def test_staff_unlock_the_card_from_the_console(
    client, app, device, card_of, accounts, clear_card_guards, make_staff, database_url
):
    someone = accounts[1]
    card = card_of(someone)
    clear_card_guards(card[0])
    for _ in range(5):
        last = post_read(client, card_read(device, card, "wrong"))
    assert_refused(last, 423, "card_locked")
    console = app.test_client()
    staff_login(console, database_url, make_staff(StaffRole.SUPERVISOR))
    form = console.get("/hotline/people/")
    page = console.post(
        "/hotline/people/",
        data={"id_number": someone.id_number, "reason": "持卡人到窗口求助", "csrf_token": csrf_token(form.text)},
    )
    assert "密码输错过多，已暂停" in page.text
    ref = re.search(r'name="ref" value="([^"]+)"', page.text).group(1)
    done = console.post("/hotline/people/", data={"ref": ref, "action": "unlock", "csrf_token": csrf_token(page.text)})
    assert "已解锁" in done.text
    assert post_read(client, card_read(device, card, "ok")).status_code == 200


def test_a_card_the_chip_blocked_is_refused(client, device, card_of, accounts, clear_card_guards):
    card = card_of(accounts[2])
    clear_card_guards(card[0])
    assert_refused(post_read(client, card_read(device, card, "blocked")), 423, "card_pin_blocked")


def test_a_card_for_an_unknown_person_is_refused(client, device, card_of, person, clear_card_guards):
    stranger = make_id_number("610302", date(1990, 5, 17), 991)
    clear_card_guards("Z12345678")
    body = card_read(device, ("Z12345678", stranger, "陌生人"))
    assert_refused(post_read(client, body), 403, "card_unknown")
    # A real person's ID with a card number that is not theirs (an old or forged card) is refused too.
    number, id_number, name = card_of(person)
    clear_card_guards("Y00000001")
    assert_refused(post_read(client, card_read(device, ("Y00000001", id_number, name))), 403, "card_unknown")
    with client.session_transaction() as sess:
        assert "person_id" not in sess


def test_enrol_prints_the_credentials_once(kiosk_sessions, database_url, tmp_path, monkeypatch, sandbox_url):
    from click.testing import CliRunner

    from gateway.cli import main
    from gateway.kiosk.models import KioskDevice

    monkeypatch.setenv("SHEBAO_DATABASE_URL", database_url)
    monkeypatch.setenv("SHEBAO_VAR_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["kiosk", "enrol", HALL])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(":", 1) for line in result.output.splitlines()[:3])
    device_id, private_key = lines["device id"].strip(), lines["private key"].strip()
    with kiosk_sessions() as s:
        row = s.scalar(sa.select(KioskDevice).where(KioskDevice.device_id == device_id))
    assert row is not None and row.enabled
    assert private_key not in (row.public_key, device_id)  # only the public half is kept
    unknown = CliRunner().invoke(main, ["kiosk", "enrol", "H99"])
    assert unknown.exit_code != 0 and "H99" in unknown.output
    # The installer's shortcut: enrol and hand the key straight to the kiosk's bridge.
    installed = CliRunner().invoke(main, ["kiosk", "enrol", HALL, "--bridge", sandbox_url + "/card-reader"])
    assert installed.exit_code == 0, installed.output
    bridge_device = installed.output.splitlines()[0].split(":", 1)[1].strip()
    assert requests.get(sandbox_url + "/card-reader/status", timeout=5).json()["device_id"] == bridge_device
    listed = CliRunner().invoke(main, ["kiosk", "list"])
    assert device_id in listed.output
    assert CliRunner().invoke(main, ["kiosk", "disable", device_id]).exit_code == 0
    with kiosk_sessions() as s:
        assert not s.scalar(sa.select(KioskDevice.enabled).where(KioskDevice.device_id == device_id))


@pytest.mark.parametrize("path", ["me/", "me/inbox/", "me/appointments", "me/proof"])
def test_logged_in_pages_send_strangers_to_the_start(client, path):
    resp = client.get(f"/kiosk/{HALL}/{path}")
    assert resp.status_code == 302 and resp.location.endswith(f"/kiosk/{HALL}/")


def test_a_lost_or_unfinished_card_is_refused(client, device, kiosk_sessions, clear_card_guards):
    """The back office's card register decides: a card reported lost (挂失) or still being made logs nobody in."""
    from gateway.backoffice.models import BoPerson, CardStatus

    with kiosk_sessions() as s:
        row = s.scalar(sa.select(BoPerson).where(BoPerson.card_status != CardStatus.ACTIVE).limit(1))
    assert row is not None, "the demo population has lost and unfinished cards"
    clear_card_guards(row.card_number)
    body = card_read(device, (row.card_number, row.id_number, row.name))
    assert_refused(post_read(client, body), 403, "card_unknown")


def test_the_bridge_reads_only_with_a_card_and_its_chip_blocks_the_pin(bridge, card_of, person):
    """The sandbox behaves like the hardware: no read without a card; the chip's retry counter runs out."""
    requests.post(bridge + "/test/remove", timeout=5)
    no_card = requests.post(bridge + "/read", timeout=5)
    assert no_card.status_code == 409 and no_card.json()["error"] == "no_card"
    card_number, id_number, name = card_of(person)
    card = {"card_number": card_number, "aac002": id_number, "aac003": name, "pin": PIN, "tries_left": 2}
    requests.post(bridge + "/test/insert", json=card, timeout=5).raise_for_status()
    verdicts = []
    for _ in range(2):
        read_id = requests.post(bridge + "/read", timeout=5).json()["read_id"]
        requests.post(bridge + "/test/keypad", json={"pin": "999999"}, timeout=5).raise_for_status()
        verdicts.append(requests.get(f"{bridge}/read/{read_id}", timeout=5).json()["payload"]["pin_verdict"])
    assert verdicts == ["wrong", "blocked"]
    assert requests.post(bridge + "/test/keypad", json={"pin": PIN}, timeout=5).status_code == 409  # not reading
    requests.post(bridge + "/test/remove", timeout=5)


def test_the_demo_command_enrols_a_kiosk_and_puts_a_card_in_the_sandbox_reader(database_url, sandbox_url):
    from click.testing import CliRunner

    from gateway.cli import main

    env = {
        "SHEBAO_DATABASE_URL": database_url,
        "SHEBAO_SECRET_KEY": TEST_SECRET,
        "SHEBAO_ENV": "testing",
        "SHEBAO_SANDBOX_URL": sandbox_url,
    }
    result = CliRunner().invoke(main, ["kiosk", "demo", "H01"], env=env)
    assert result.exit_code == 0, result.output
    try:
        status = requests.get(f"{sandbox_url}/card-reader/status", timeout=5).json()
        assert status["configured"] and status["card"] == "present"
        assert status["device_id"] in result.output
        assert "/kiosk/H01/" in result.output and "123456" in result.output
        keypad = requests.get(f"{sandbox_url}/card-reader/", timeout=5)
        assert keypad.status_code == 200 and 'name="pin"' in keypad.text
    finally:
        requests.post(f"{sandbox_url}/card-reader/test/remove", timeout=5)


@pytest.mark.parametrize("key", ["hongkong", "foreigner2017", "passport"])
def test_cards_of_people_with_other_documents_log_in(client, device, kiosk_sessions, key):
    """LD/T 01 6.2.3 b–c (issue 20): the card carries the social security number — a residence permit number, a
    2017 permanent residence ID, an agency-assigned number — and logs in like any other."""
    from gateway.backoffice.demo import DEMO_DOCUMENT_PEOPLE
    from gateway.backoffice.local import LocalBackOffice

    holder = next(d for d in DEMO_DOCUMENT_PEOPLE if d.key == key)
    record = LocalBackOffice(kiosk_sessions).find_person(holder.social_security_number)
    resp = post_read(client, card_read(device, (record.card_number, record.id_number, record.name)))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    html = client.get(f"/kiosk/{HALL}/me/").get_data(as_text=True)
    assert record.id_number not in html and record.id_number[-4:] in html
