"""The scheduler runs the due jobs, keeps going when one fails, and respects intervals."""

from __future__ import annotations

from gateway import scheduler


def test_jobs_run_when_due_and_a_failure_does_not_stop_the_others(app):
    from sqlalchemy.orm import sessionmaker

    calls: list[str] = []

    def ok(session, now):
        calls.append("ok")
        return 1

    def boom(session, now):
        calls.append("boom")
        raise RuntimeError("provider down")

    jobs = (scheduler.Job("boom", 60, boom), scheduler.Job("ok", 60, ok))
    sessions = sessionmaker(bind=app.extensions["shebao_engine"])
    last: dict[str, float] = {}
    assert scheduler.run_due(sessions, last, 1000.0, jobs) == {"ok": 1}
    assert scheduler.run_due(sessions, last, 1030.0, jobs) == {}  # "ok" not due yet; "boom" retried
    assert calls == ["boom", "ok", "boom"]
    assert scheduler.run_due(sessions, last, 1061.0, jobs) == {"ok": 1}


def test_the_real_jobs_run_against_the_database(app):
    from sqlalchemy.orm import sessionmaker

    sessions = sessionmaker(bind=app.extensions["shebao_engine"])
    done = scheduler.run_due(sessions, {}, 0.0)
    assert set(done) == {"appointment reminders", "appointment no-shows", "credit list expiry"}
