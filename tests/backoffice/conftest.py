"""Back-office fixtures: the local reference back office, the same served over HTTP, and a WSGI wrapper that
makes the served one slow or failing on demand."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from gateway.backoffice.http import CircuitBreaker, HttpBackOffice
from gateway.backoffice.local import LocalBackOffice
from gateway.backoffice.server import create_backoffice_app
from tests.sandbox_server import serve_in_thread

API_KEY = "test-backoffice-key-0123456789"


class Unreliable:
    """WSGI middleware in front of the back-office server: counts requests and, while ``script`` has entries,
    answers each request with the next one instead: an HTTP status (int) or a delay in seconds (float)."""

    def __init__(self, app) -> None:
        self.app = app
        self.script: list[int | float] = []
        self.requests = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:
            self.requests += 1
            action = self.script.pop(0) if self.script else None
        if isinstance(action, float):
            time.sleep(action)
        elif isinstance(action, int):
            start_response(f"{action} Trouble", [("Content-Type", "text/plain")])
            return [b"trouble"]
        return self.app(environ, start_response)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def local_backoffice(database_url: str) -> Iterator[LocalBackOffice]:
    engine = sa.create_engine(database_url)
    yield LocalBackOffice(sessionmaker(bind=engine))
    engine.dispose()


@pytest.fixture(scope="session")
def unreliable(local_backoffice: LocalBackOffice) -> Unreliable:
    return Unreliable(create_backoffice_app(local_backoffice, API_KEY))


@pytest.fixture(scope="session")
def backoffice_url(unreliable: Unreliable) -> Iterator[str]:
    """The reference back office over HTTP (through :class:`Unreliable`), served once for the session."""
    with serve_in_thread(unreliable) as url:
        yield url


@pytest.fixture(autouse=True)
def _reset_unreliable(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "unreliable" in request.fixturenames:
        unreliable = request.getfixturevalue("unreliable")
        unreliable.script.clear()
        unreliable.requests = 0


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_http(backoffice_url: str, sleeps: list[float]):
    """An ``HttpBackOffice`` on the served back office; keyword arguments override the client's settings."""

    def make(url: str | None = None, **kwargs) -> HttpBackOffice:
        kwargs.setdefault("sleep", sleeps.append)
        kwargs.setdefault("read_timeout", 5.0)
        kwargs.setdefault("breaker", CircuitBreaker(failure_threshold=50))
        return HttpBackOffice(url or backoffice_url, kwargs.pop("api_key", API_KEY), **kwargs)

    return make


@pytest.fixture
def dead_url() -> str:
    """A loopback port where nothing listens (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
