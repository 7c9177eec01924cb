"""The gateway's own infrastructure failing (issue 19): Redis stopped, PostgreSQL restarted during a booking
storm, the upload store full. For each: no 500 but a Chinese 503, no lost or half-written submission, no double
booking, recovery without restarting the gateway, and an alarm — an error-level log line and
``shebao_infrastructure_failures_total{component}`` in /metrics (gateway/outages.py).

Redis and PostgreSQL are failed without touching the machine's servers: a redis-server of the test's own on a
free port, and a TCP proxy in front of PostgreSQL whose connections are cut. Redis and PostgreSQL tests run in
the PostgreSQL + Redis lane; the upload store test runs in both."""

from __future__ import annotations

import errno
import io
import logging
import os
import re
import shutil
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from gateway import clock
from gateway.applications import uploads
from gateway.applications.models import Application, ApplicationStatus
from gateway.appointments.models import Booking, BookingStatus, Hall, HallItem, Slot
from gateway.backoffice.demo import DEMO_PASSWORD
from gateway.identity.models import Credential, CredentialKind
from gateway.identity.passwords import hash_password
from gateway.identity.service import ensure_person
from gateway.security.pii import PiiVault
from gateway.validation import make_id_number
from tests.applications.conftest import essc_login
from tests.conftest import TEST_SECRET, csrf_token
from tests.gateway_process import free_port
from tests.ops.netproxy import TcpProxy
from tests.ops.nodes import error_lines, gateway_node, metric

ON_PG_LANE = bool(os.environ.get("SHEBAO_TEST_DATABASE_URL") and os.environ.get("SHEBAO_TEST_REDIS_URL"))
pg_lane = pytest.mark.skipif(not ON_PG_LANE, reason="runs in the PostgreSQL + Redis lane")
FAILURES = "shebao_infrastructure_failures_total"
ITEM = "person-registration"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096


def _weekday_after(start: date) -> date:
    day = start + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _setup_people_and_slot(database_url: str, count: int, capacity: int) -> dict:
    engine = sa.create_engine(database_url)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    tag = os.urandom(3).hex().upper()
    stored = hash_password(DEMO_PASSWORD)
    with sessions.begin() as s:
        hall = Hall(code=f"F{tag}", name="故障测试大厅", address="-", phone="-", hours="-", map_url="")
        s.add(hall)
        s.flush()
        s.add(HallItem(hall_id=hall.id, item_id=ITEM))
        slot = Slot(hall_id=hall.id, day=_weekday_after(clock.local_now().date()), start=clock_time(9),
                    end=clock_time(9, 30), capacity=capacity, booked=0)  # fmt: skip
        s.add(slot)
        numbers = []
        for n in range(count):
            id_number = make_id_number("440103", date(1968, 1, 1) + timedelta(days=int(tag, 16) % 9000 + n), 700 + n)
            person = ensure_person(s, PiiVault(TEST_SECRET), id_number, f"故障{n}")
            s.add(Credential(person_id=person.id, kind=CredentialKind.PASSWORD, identifier=person.id_digest,
                             secret_hash=stored))  # fmt: skip
            numbers.append(id_number)
    return {"slot": slot.id, "people": numbers, "engine": engine, "sessions": sessions}


def _logged_in(base: str, id_number: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    page = http.get(f"{base}/account/login", timeout=60).text
    form = {"id_number": id_number, "password": DEMO_PASSWORD, "csrf_token": csrf_token(page)}
    answer = http.post(f"{base}/account/login", data=form, allow_redirects=False, timeout=60)
    assert answer.status_code == 302, answer.text[:300]
    return http, csrf_token(http.get(f"{base}/appointments/", timeout=60).text)


def _book(http: requests.Session, token: str, base: str, slot: int) -> requests.Response:
    return http.post(f"{base}/api/v1/appointments", json={"item": ITEM, "slot": slot},
                     headers={"X-CSRFToken": token}, timeout=60)  # fmt: skip


# ------------------------------------------------------------------------------------------------- Redis


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of this test's own (append-only, so a restart keeps sessions); start()/stop() at will."""
    program = shutil.which("redis-server")
    if program is None:
        pytest.skip("redis-server is not installed here")
    port, folder = free_port(), tmp_path / "redis"
    folder.mkdir()
    state: dict[str, subprocess.Popen] = {}

    def start() -> None:
        state["proc"] = subprocess.Popen(
            [program, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--appendonly", "yes",
             "--save", "", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        import redis

        client = redis.Redis(port=port, socket_timeout=1)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop() -> None:
        proc = state.pop("proc")
        proc.terminate()
        proc.wait(timeout=10)

    start()
    yield type("OwnRedis", (), {"url": f"redis://127.0.0.1:{port}/0", "start": staticmethod(start),
                                "stop": staticmethod(stop)})  # fmt: skip
    if "proc" in state:
        stop()


@pg_lane
def test_redis_stopped(database_url, own_redis, tmp_path):
    world = _setup_people_and_slot(database_url, count=2, capacity=5)
    log = tmp_path / "node.log"
    with gateway_node(database_url, TEST_SECRET, tmp_path, log, workers=1, REDIS_URL=own_redis.url) as base:
        http, token = _logged_in(base, world["people"][0])
        assert _book(http, token, base, world["slot"]).status_code == 201
        before = metric(base, FAILURES, component="redis")

        own_redis.stop()
        page = http.get(f"{base}/account/", timeout=30)
        assert page.status_code == 503 and "登录服务暂时不可用" in page.text
        api = http.get(f"{base}/api/v1/appointments", timeout=30)
        assert api.status_code == 503 and api.json()["error"]["code"] == "redis_unavailable"
        refused = _book(http, token, base, world["slot"])
        assert refused.status_code == 503 and "本次操作未生效" in refused.json()["error"]["message"]
        # The public pages that need no session still answer a newcomer.
        assert requests.get(f"{base}/help/", timeout=30).status_code == 200
        assert metric(base, FAILURES, component="redis") >= before + 3
        assert error_lines(log, "infrastructure unavailable: redis")

        own_redis.start()  # the gateway is not restarted
        mine = http.get(f"{base}/api/v1/appointments", timeout=30)
        assert mine.status_code == 200 and len(mine.json()["bookings"]) == 1  # the session survived, so did the booking
        second, token2 = _logged_in(base, world["people"][1])
        assert _book(second, token2, base, world["slot"]).status_code == 201
        assert _book(second, token2, base, world["slot"]).json()["error"]["code"] == "already_booked"
    with world["sessions"]() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Booking).where(Booking.slot_id == world["slot"])) == 2
        assert s.get(Slot, world["slot"]).booked == 2
    world["engine"].dispose()


# ------------------------------------------------------------------------------------------------- PostgreSQL


@pg_lane
def test_postgresql_restarted_during_a_booking_storm(database_url, tmp_path):
    clients, capacity = 12, 5
    world = _setup_people_and_slot(database_url, count=clients, capacity=capacity)
    url = make_url(database_url)
    log = tmp_path / "node.log"
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as pg:
        proxied = url.set(host="127.0.0.1", port=pg.port).render_as_string(hide_password=False)
        redis_url = os.environ["SHEBAO_TEST_REDIS_URL"]
        with gateway_node(proxied, TEST_SECRET, tmp_path, log, REDIS_URL=redis_url, RATE_LIMITS="0") as base:
            with ThreadPoolExecutor(max_workers=8) as pool:
                sessions = list(pool.map(lambda n: _logged_in(base, n), world["people"]))
            before = metric(base, FAILURES, component="database")
            answers: dict[int, list[tuple[int, str, str]]] = {i: [] for i in range(clients)}
            start = threading.Barrier(clients + 1)

            def storm(i: int) -> None:
                http, token = sessions[i]
                http.close()  # fresh connections for the race
                start.wait()
                deadline = time.monotonic() + 30
                while time.monotonic() < deadline:
                    reply = _book(http, token, base, world["slot"])
                    body = reply.json() if reply.headers.get("Content-Type", "").startswith("application/json") else {}
                    code = body.get("error", {}).get("code", "")
                    answers[i].append((reply.status_code, code, body.get("code", "")))
                    if reply.status_code != 503:
                        return  # a definite answer: booked, or refused for a reason
                    time.sleep(0.1)  # the page says "try again later": the person does

            threads = [threading.Thread(target=storm, args=(i,)) for i in range(clients)]
            for t in threads:
                t.start()
            start.wait()
            time.sleep(0.05)
            pg.cut()  # PostgreSQL "restarts": every connection dropped, new ones refused…
            time.sleep(1.5)
            pg.restore()  # …and it is back
            for t in threads:
                t.join()
            after = metric(base, FAILURES, component="database")
            assert base and requests.get(f"{base}/api/v1/appointments", timeout=30).status_code in (200, 401)

    everything = [a for replies in answers.values() for a in replies]
    statuses = Counter(status for status, _, _ in everything)
    assert statuses[503] >= 1, statuses  # the cut was felt
    assert set(statuses) <= {201, 409, 503}, statuses  # never a 500
    assert {code for status, code, _ in everything if status == 503} == {"database_unavailable"}
    finals = [replies[-1] for replies in answers.values()]
    assert all(status in (201, 409) for status, _, _ in finals), finals  # everyone got an answer after recovery
    booked_codes = {booking for status, _, booking in everything if status == 201}
    with world["sessions"]() as s:
        rows = s.scalars(sa.select(Booking).where(Booking.slot_id == world["slot"])).all()
        active = [b for b in rows if b.status is BookingStatus.BOOKED]
        assert booked_codes <= {b.code for b in active}  # every "booked" answer is in the database
        assert len(active) == len({b.person_id for b in active})  # nobody twice
        assert len(active) == capacity == s.get(Slot, world["slot"]).booked  # filled exactly, not over
    assert after >= before + 1
    assert error_lines(log, "infrastructure unavailable: database")
    world["engine"].dispose()


# ------------------------------------------------------------------------------------------------- upload store


class _FullDisk:
    """``os`` as the upload store sees it on a full disk: files open, then writing fails with ENOSPC part-way."""

    def __init__(self, real) -> None:
        self._real = real

    def __getattr__(self, name: str):
        return getattr(self._real, name)

    def fdopen(self, fd: int, mode: str = "r", *args, **kwargs):
        fh = self._real.fdopen(fd, mode, *args, **kwargs)

        real_write = fh.write

        def write(data: bytes) -> int:
            real_write(data[: len(data) // 2])
            fh.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        fh.write = write  # type: ignore[method-assign]
        return fh


@pytest.fixture
def applicant(database_url):
    """A working, employed back-office person from the middle of the list (the applications tests take the
    first ones, the esign tests the last ones)."""
    from gateway.backoffice.demo import DEMO_PEOPLE

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id_number, name FROM bo_person WHERE status = 'working'"
                                    " AND unit_id IS NOT NULL ORDER BY id")).all()  # fmt: skip
    engine.dispose()
    demo = {d.id_number for d in DEMO_PEOPLE}
    rows = [r for r in rows if r.id_number not in demo]
    return rows[len(rows) // 2 + int.from_bytes(os.urandom(1), "big") % 8]


def test_upload_store_full(app, client, applicant, settings, monkeypatch, caplog):
    essc_login(client, applicant.id_number, applicant.name)
    path = "/services/skills-subsidy-claim/apply"
    page = client.get(path)
    step1 = client.post(path, data={"phone": "13800138000", "certificate_number": "ZS-9",
                                    "csrf_token": csrf_token(page.get_data(as_text=True))})  # fmt: skip
    assert step1.status_code == 302
    uploads_dir = Path(settings.var_dir) / "uploads"
    files_before = set(uploads_dir.iterdir()) if uploads_dir.exists() else set()
    before = metric_in_process(client, component="storage")

    monkeypatch.setattr(uploads, "os", _FullDisk(os))
    materials = f"{path}/materials"
    form = client.get(materials).get_data(as_text=True)
    with caplog.at_level(logging.ERROR, logger="shebao.outages"):
        full = client.post(materials, content_type="multipart/form-data", data=_upload(form))
    assert full.status_code == 503
    assert "服务器存储空间暂时不足" in full.get_data(as_text=True)
    assert any("infrastructure unavailable: storage" in r.getMessage() for r in caplog.records)
    assert metric_in_process(client, component="storage") == before + 1
    # Nothing half-written: no file, no half file, no material row; the draft of step 1 is still there.
    assert (set(uploads_dir.iterdir()) if uploads_dir.exists() else set()) == files_before
    with app.app_context():
        from gateway.request_db import get_session

        drafts = get_session().scalars(sa.select(Application).where(
            Application.item_id == "skills-subsidy-claim", Application.status == ApplicationStatus.DRAFT,
            Application.form_json.contains("ZS-9"))).all()  # fmt: skip
        assert drafts and not any(d.materials for d in drafts)

    monkeypatch.undo()  # space freed; the gateway was not restarted
    form = client.get(materials).get_data(as_text=True)
    ok = client.post(materials, content_type="multipart/form-data", data=_upload(form))
    assert ok.status_code == 302, ok.get_data(as_text=True)[:500]
    confirm = client.get(f"{path}/confirm").get_data(as_text=True)
    done = client.post(f"{path}/confirm", data={"csrf_token": csrf_token(confirm)})
    assert done.status_code == 302 and "/progress/SQ" in done.location
    number = re.search(r"/progress/(SQ[0-9]+)", done.location).group(1)
    assert "证书.png" in client.get(f"/progress/{number}").get_data(as_text=True)


def _upload(form_page: str) -> dict:
    return {"csrf_token": csrf_token(form_page), "next": "1", "file-0": (io.BytesIO(PNG), "证书.png")}


def metric_in_process(client, **labels: str) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    match = re.search(rf"^{FAILURES}\{{{re.escape(wanted)}\}} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0
