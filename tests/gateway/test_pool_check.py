"""A pooled server connection is checked before use without a round trip, and replaced when the server ended it
(gateway.db._check_before_use; issue 18: SQLAlchemy's pre-ping cost a round trip on every request)."""

from __future__ import annotations

import os
import socket
import time

import pytest
import sqlalchemy as sa

from gateway.db import _server_spoke, make_engine

PG_URL = os.environ.get("SHEBAO_TEST_DATABASE_URL", "")
on_postgresql = pytest.mark.skipif(not PG_URL.startswith("postgresql"), reason="runs in the PostgreSQL lane")


class _Connection:
    """What the check reads of a DBAPI connection: closed, and the socket's file number."""

    def __init__(self, sock: socket.socket) -> None:
        self.closed = False
        self._sock = sock

    def fileno(self) -> int:
        return self._sock.fileno()


def test_an_idle_socket_is_quiet_and_one_with_input_or_closed_is_not():
    ours, server = socket.socketpair()
    conn = _Connection(ours)
    assert not _server_spoke(conn)
    server.sendall(b"N")  # a notice, or the server's goodbye before it closes
    assert _server_spoke(conn)
    ours.recv(1)
    assert not _server_spoke(conn)
    server.close()  # end of file
    assert _server_spoke(conn)
    conn.closed = True
    assert _server_spoke(conn)
    ours.close()


@on_postgresql
def test_a_healthy_checkout_sends_nothing_and_an_ended_one_is_replaced(monkeypatch):
    engine = make_engine(PG_URL, pool_size=1)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    with engine.connect() as conn:
        first = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    with engine.connect() as conn:  # the same pooled connection, handed out unpinged
        assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() == first
    assert pings == []

    killer = sa.create_engine(PG_URL)
    with killer.connect() as other:  # the server ends the pooled session, as a restart does to all of them
        assert other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar_one()
    killer.dispose()
    time.sleep(0.2)

    with engine.connect() as conn:  # no error reaches the caller: a fresh connection instead
        assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != first
    assert pings == [1]
    engine.dispose()
