"""/readyz and the timestamp server (issue 13): every seal carries an RFC 3161 token, so a node whose TSA is down
cannot issue a certificate and must not say it is ready while the seal itself is fine."""

from __future__ import annotations

import dataclasses

import pytest

from gateway import create_app
from tests.gateway_process import free_port


def _readyz(settings):
    app = create_app(settings)
    try:
        return app.test_client().get("/readyz")
    finally:
        app.extensions["shebao_engine"].dispose()


def test_a_reachable_tsa_is_ok(esign_client, seal_dir):
    body = esign_client.get("/readyz")
    assert body.json["checks"]["seal"] == "ok" and body.json["checks"]["timestamp"] == "ok"
    assert body.status_code == 200


@pytest.mark.parametrize(
    "where",
    [
        lambda sandbox: f"http://127.0.0.1:{free_port()}/tsa/",  # nothing listens
        lambda sandbox: f"{sandbox}/healthz",  # something answers, but not a timestamp reply
    ],
    ids=["down", "not-a-tsa"],
)
def test_a_failing_tsa_takes_the_node_out_of_service(esign_settings, seal_dir, sandbox_url, where):
    answer = _readyz(dataclasses.replace(esign_settings, tsa_url=where(sandbox_url)))
    assert answer.json["checks"]["seal"] == "ok"
    assert answer.json["checks"]["timestamp"] == "unavailable"
    assert answer.status_code == 503 and answer.json["status"] == "not_ready"
