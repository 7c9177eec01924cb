"""The SMS client's failures in words (issue 18 moved it from requests to urllib3): a gateway that refuses the
connection is unreachable, one that takes it and says nothing timed out; both are worth retrying later."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from notify.sms import SmsClient, SmsError


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        yield server.getsockname()[1]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_is_unreachable() -> None:
    with pytest.raises(SmsError) as caught:
        SmsClient(f"http://127.0.0.1:{_closed_port()}/sms", timeout=1).send("13800138000", "您好")
    assert caught.value.code == "unreachable" and caught.value.temporary
    assert "无法连接短信网关" in str(caught.value)


def test_a_gateway_that_says_nothing_timed_out(silent_port: int) -> None:
    client = SmsClient(f"http://127.0.0.1:{silent_port}/sms", timeout=0.3)
    with pytest.raises(SmsError) as caught:
        client.send("13800138000", "您好")
    assert caught.value.code == "timeout" and caught.value.temporary
    with pytest.raises(SmsError) as caught:
        client.find("notify-1-0")  # the status query after a crash: "cannot say", never "not taken"
    assert caught.value.code == "unreachable"
