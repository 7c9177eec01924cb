"""One commit owner (DESIGN "Use cases and the Actor", step 4): services flush, the caller decides, and work
outside the database (an upload's file) follows the transaction's fate (gateway.db.on_commit / on_rollback)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway.db import commit_claim, make_engine, on_commit, on_rollback, settle_unfinished


def _sessions(tmp_path) -> sessionmaker:
    engine = make_engine(f"sqlite:///{tmp_path / 'uow.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    return sessionmaker(bind=engine)


def _rows(sessions: sessionmaker) -> int:
    with sessions() as s:
        return s.scalar(sa.text("SELECT count(*) FROM t"))


def test_actions_follow_a_commit(tmp_path):
    sessions, ran = _sessions(tmp_path), []
    with sessions() as s:
        s.execute(sa.text("INSERT INTO t VALUES (1)"))
        on_commit(s, lambda: ran.append("commit"))
        on_rollback(s, lambda: ran.append("rollback"))
        assert ran == []  # nothing is decided before the transaction is
        s.commit()
    assert ran == ["commit"] and _rows(sessions) == 1


def test_actions_follow_a_rollback(tmp_path):
    sessions, ran = _sessions(tmp_path), []
    with sessions() as s:
        s.execute(sa.text("INSERT INTO t VALUES (1)"))
        on_commit(s, lambda: ran.append("commit"))
        on_rollback(s, lambda: ran.append("rollback"))
        s.rollback()
        s.commit()  # a later transaction does not run what the rolled-back one registered
    assert ran == ["rollback"] and _rows(sessions) == 0


def test_a_session_closed_undecided_counts_as_rolled_back(tmp_path):
    sessions, removed = _sessions(tmp_path), []
    s = sessions()
    s.execute(sa.text("INSERT INTO t VALUES (1)"))
    on_rollback(s, lambda: removed.append("upload.png"))
    settle_unfinished(s)  # what the request boundary does at teardown
    s.close()
    assert removed == ["upload.png"] and _rows(sessions) == 0


def test_a_claim_commits_at_once(tmp_path):
    sessions = _sessions(tmp_path)
    with sessions() as s:
        s.execute(sa.text("INSERT INTO t VALUES (1)"))
        commit_claim(s)  # a counted wrong guess, say
        s.execute(sa.text("INSERT INTO t VALUES (2)"))
        s.rollback()  # the refusal that follows rolls back only what came after the claim
    assert _rows(sessions) == 1


def test_a_refused_request_writes_nothing_and_a_successful_one_commits(app):
    """The request boundary: a flushed write stays only when the answer is below 400."""
    from flask import abort

    from gateway.access.needs import public
    from gateway.channel_policy import Operation
    from gateway.request_db import get_session
    from gateway.staff.models import AuditAction
    from gateway.staff.service import audit

    marker = "unit-of-work-" + app.config["SECRET_KEY"][:6]

    def write(status: int):
        audit(get_session(), AuditAction.LOGIN_FAILED, staff_id=None, detail=f"{marker}-{status}")
        get_session().flush()
        if status >= 400:
            abort(status)
        return "ok"

    app.add_url_rule("/test-uow/<int:status>", "test_uow", public(Operation.QUERY)(write))
    client = app.test_client()
    assert client.get("/test-uow/200").status_code == 200
    assert client.get("/test-uow/409").status_code == 409
    with app.app_context():
        details = set(
            get_session().scalars(sa.text("SELECT detail FROM staff_audit WHERE detail LIKE :m"), {"m": f"{marker}%"})
        )
    assert details == {f"{marker}-200"}
