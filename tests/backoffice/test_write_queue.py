"""The queue of writes waiting for the core system (issue 19): kept encrypted, forwarded oldest first, stopping
at the first the core system still does not take (a later phone number is never overwritten by an earlier one), a
refusal is final and told to the person; the scheduler runs the forwarding job."""

from __future__ import annotations

from datetime import date

from gateway import clock
from gateway.backoffice.interface import BackOffice, BackOfficeRefused, BackOfficeUnavailable
from gateway.backoffice.write_queue import CoreWrite, WriteKind, WriteStatus, enqueue, seal
from gateway.resilience.writes import forward_now
from gateway.scheduler import jobs_for, run_due

ID = "610102198001011234"


class RecordingCore(BackOffice):
    """The core system's write side, answering as told: ``down`` calls fail, ``refuse`` calls are refused."""

    def __init__(self) -> None:
        self.done: list[tuple] = []
        self.down = 0
        self.refuse = 0

    def _answer(self, call: tuple) -> None:
        if self.down:
            self.down -= 1
            raise BackOfficeUnavailable("timed out")
        if self.refuse:
            self.refuse -= 1
            raise BackOfficeRefused("HTTP 400")
        self.done.append(call)

    def update_phone(self, id_number: str, phone: str) -> None:
        self._answer(("phone", id_number, phone))

    def certify_eligibility(self, id_number, year, certified_on, method, reference) -> None:
        self._answer(("certify", id_number, year, certified_on, method, reference))

    # The queries are not used here.
    ping = find_person = find_unit = registrations = contributions = account = None  # type: ignore[assignment]
    benefit_payments = transfers = None  # type: ignore[assignment]


RecordingCore.__abstractmethods__ = frozenset()


def _queue(app, vault, *writes) -> list[int]:
    ids = []
    with app.extensions["shebao_sessionmaker"].begin() as s:
        for kind, args in writes:
            ids.append(enqueue(s, kind, seal(vault, kind, args), None, clock.now()).id)
    return ids


def _forward(app, vault, core) -> int:
    with app.extensions["shebao_sessionmaker"].begin() as s:
        return forward_now(s, vault, core, clock.now())


def _status(app, ids) -> list[WriteStatus]:
    with app.extensions["shebao_sessionmaker"]() as s:
        return [s.get(CoreWrite, i).status for i in ids]


def _drain(app, vault) -> None:
    """Earlier tests' pending writes go first (oldest first): send them to a core that takes everything."""
    while _forward(app, vault, RecordingCore()):
        pass


def test_writes_go_in_order_and_wait_behind_the_first_that_fails(app) -> None:
    vault = app.extensions["shebao_vault"]
    _drain(app, vault)
    ids = _queue(
        app,
        vault,
        (WriteKind.UPDATE_PHONE, {"id_number": ID, "phone": "13900000001"}),
        (WriteKind.UPDATE_PHONE, {"id_number": ID, "phone": "13900000002"}),
        (
            WriteKind.CERTIFY_ELIGIBILITY,
            {"id_number": ID, "year": 2026, "certified_on": date(2026, 12, 4), "method": "face", "reference": "FC1"},
        ),
    )
    with app.extensions["shebao_sessionmaker"]() as s:
        stored = s.get(CoreWrite, ids[0]).arguments
    assert ID not in stored and "13900000001" not in stored  # encrypted at rest
    core = RecordingCore()
    core.down = 1
    assert _forward(app, vault, core) == 0  # the first one fails: nothing after it goes
    assert core.done == [] and _status(app, ids) == [WriteStatus.PENDING] * 3
    assert _forward(app, vault, core) == 3
    assert core.done == [
        ("phone", ID, "13900000001"),
        ("phone", ID, "13900000002"),
        ("certify", ID, 2026, date(2026, 12, 4), "face", "FC1"),
    ]
    assert _status(app, ids) == [WriteStatus.DONE] * 3
    assert _forward(app, vault, core) == 0  # nothing is sent twice


def test_a_refused_write_is_final_and_the_next_ones_go_on(app) -> None:
    vault = app.extensions["shebao_vault"]
    _drain(app, vault)
    ids = _queue(
        app,
        vault,
        (WriteKind.UPDATE_PHONE, {"id_number": ID, "phone": "1"}),
        (WriteKind.UPDATE_PHONE, {"id_number": ID, "phone": "13900000003"}),
    )
    core = RecordingCore()
    core.refuse = 1
    assert _forward(app, vault, core) == 1
    assert _status(app, ids) == [WriteStatus.REFUSED, WriteStatus.DONE]
    with app.extensions["shebao_sessionmaker"]() as s:
        assert s.get(CoreWrite, ids[0]).error


def test_the_scheduler_forwards_queued_writes(app) -> None:
    """The deployment's scheduler has the job, every minute at most, and it reaches the core system (here the
    local back office, which answers) and forwards what waits."""
    vault = app.extensions["shebao_vault"]
    _drain(app, vault)
    [queued] = _queue(app, vault, (WriteKind.UPDATE_PHONE, {"id_number": ID, "phone": "13900000004"}))
    sessions = app.extensions["shebao_sessionmaker"]
    [job] = [j for j in jobs_for(app.config["SETTINGS"], sessions) if j.name == "forward queued core writes"]
    assert job.every_seconds <= 60
    assert run_due(sessions, {}, 0.0, [job]) == {"forward queued core writes": 1}
    assert _status(app, [queued]) == [WriteStatus.DONE]
