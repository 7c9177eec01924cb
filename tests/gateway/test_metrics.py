"""``/metrics``: the Prometheus text format, route-template labels, database gauges, access and multiprocess mode."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from gateway import create_app, metrics
from notify import MessageKind, enqueue
from notify.kinds import MessageStatus
from notify.models import NotifyMessage

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}  # TEST-NET-3: not loopback
TOKEN = "metrics-token-for-tests-0123456789"


def scrape(client, **kw) -> dict[str, list]:
    """GET /metrics and parse it; {family name: [samples]}."""
    response = client.get("/metrics", **kw)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(response.get_data(as_text=True))}


def sample(families: dict[str, list], name: str, **labels) -> float | None:
    for samples in families.values():
        for s in samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def test_text_format_parses_and_holds_every_family(client):
    client.get("/healthz")
    families = scrape(client)
    assert sample(families, "shebao_http_requests_total", method="GET", route="/healthz", status="2xx") >= 1
    assert sample(families, "shebao_http_request_duration_seconds_count", route="/healthz") >= 1
    for name in ("shebao_notify_messages", "shebao_applications"):
        statuses = {s.labels["status"] for s in families[name]}
        assert "created" in statuses or "draft" in statuses
    assert sample(families, "shebao_appointment_bookings_active") is not None
    assert sample(families, "shebao_notify_oldest_due_age_seconds") is not None
    assert {s.labels["gauge"]: s.value for s in families["shebao_metrics_gauge_up"]} == {
        name: 1.0 for name in metrics.DATABASE_GAUGES
    }


def test_requests_are_counted_under_the_route_template_never_the_raw_path(client):
    def progress_requests(families) -> float:
        """All /progress/<number> requests so far, whatever their status (earlier tests count too)."""
        return sum(
            s.value
            for s in families.get("shebao_http_requests", [])
            if s.name == "shebao_http_requests_total" and s.labels["route"] == "/progress/<number>"
        )

    before = progress_requests(scrape(client))
    client.get("/progress/XYZ")
    client.get("/progress/110101199003071234")  # an ID number typed into the URL must not become a label
    client.get("/no-such-page/440301199001011234")
    text = client.get("/metrics").get_data(as_text=True)
    families = {f.name: f.samples for f in text_string_to_metric_families(text)}
    assert progress_requests(families) - before == 2
    assert sample(families, "shebao_http_requests_total", route="unmatched", status="4xx") >= 1
    for raw in ("XYZ", "110101199003071234", "440301199001011234", "no-such-page"):
        assert raw not in text


def test_outbox_gauge_reflects_a_queued_message(client, app):
    def created() -> float:
        return sample(scrape(client), "shebao_notify_messages", status=MessageStatus.CREATED.value)

    before = created()
    sessions = app.extensions["shebao_sessionmaker"]
    with sessions() as s:
        person_id = s.scalar(sa.text("SELECT id FROM person ORDER BY id LIMIT 1"))
        enqueue(
            s,
            person_id=person_id,
            kind=MessageKind.POLICY,
            template="policy",
            params={"title": "测试", "summary": "指标测试"},
            idempotency_key=f"metrics-test-{os.getpid()}-{before}",
        )
        s.commit()
        queued = s.scalar(
            sa.select(sa.func.count()).select_from(NotifyMessage).where(NotifyMessage.status == "created")
        )
    try:
        assert created() == queued > before
        # Due now and unsent: the age gauge counts from its due time.
        assert sample(scrape(client), "shebao_notify_oldest_due_age_seconds") >= 0
    finally:
        with sessions() as s:  # leave the shared test database as it was for the other tests
            s.execute(sa.delete(NotifyMessage).where(NotifyMessage.idempotency_key.like("metrics-test-%")))
            s.commit()


def test_outbox_depth_and_core_write_queue_gauges_count_what_waits(client, app):
    """Issue 19: the dispatcher's backlog and the writes kept for the core system are gauges an operator watches."""
    from gateway import clock
    from gateway.backoffice.write_queue import CoreWrite, WriteKind, WriteStatus
    from gateway.backoffice.write_queue import enqueue as keep_write

    families = scrape(client)
    depth, pending = (
        sample(families, "shebao_notify_outbox_depth"),
        sample(families, "shebao_core_write_queue", status=WriteStatus.PENDING.value),
    )
    sessions = app.extensions["shebao_sessionmaker"]
    with sessions() as s:
        person_id = s.scalar(sa.text("SELECT id FROM person ORDER BY id LIMIT 1"))
        enqueue(
            s,
            person_id=person_id,
            kind=MessageKind.POLICY,
            template="policy",
            params={"title": "测试", "summary": "指标测试"},
            idempotency_key=f"metrics-test-depth-{os.getpid()}-{depth}",
        )
        write = keep_write(s, WriteKind.UPDATE_PHONE, "sealed-for-test", person_id, clock.now())
        s.commit()
        write_id = write.id
    try:
        families = scrape(client)
        assert sample(families, "shebao_notify_outbox_depth") == depth + 1
        assert sample(families, "shebao_core_write_queue", status=WriteStatus.PENDING.value) == pending + 1
        assert sample(families, "shebao_core_write_queue", status=WriteStatus.DONE.value) is not None
    finally:
        with sessions() as s:
            s.execute(sa.delete(NotifyMessage).where(NotifyMessage.idempotency_key.like("metrics-test-%")))
            s.execute(sa.delete(CoreWrite).where(CoreWrite.id == write_id))
            s.commit()


def test_the_core_systems_circuit_breaker_state_is_a_gauge(settings):
    """Issue 19: the breaker of each outside system reached over the network, one series per state."""
    app = create_app(
        replace(settings, backoffice="http", backoffice_url="http://127.0.0.1:9/", backoffice_api_key="k" * 32)
    )
    client = app.test_client()
    breaker = app.extensions["shebao_backoffice"].breaker

    def states() -> dict[str, float]:
        return {
            s.labels["state"]: s.value
            for s in scrape(client)["shebao_circuit_breaker_state"]
            if s.labels["system"] == "backoffice"
        }

    assert states() == {"closed": 1.0, "open": 0.0, "half_open": 0.0}
    for _ in range(breaker.failure_threshold):
        breaker.record_failure()
    assert states() == {"closed": 0.0, "open": 1.0, "half_open": 0.0}
    breaker.record_success()
    assert states()["closed"] == 1.0


def test_the_embedded_back_office_has_no_breaker_series(client):
    assert not scrape(client).get("shebao_circuit_breaker_state")


@pytest.mark.parametrize(
    "error",
    [OperationalError("SELECT", {}, Exception("database is locked")), LookupError("'x' is not among the enum values")],
)
def test_a_failing_query_skips_its_gauge_not_the_scrape(client, monkeypatch, error):
    def broken(session):
        raise error

    monkeypatch.setitem(metrics.DATABASE_GAUGES, "applications", broken)
    families = scrape(client)
    assert "shebao_applications" not in families
    assert sample(families, "shebao_metrics_gauge_up", gauge="applications") == 0
    assert sample(families, "shebao_metrics_gauge_up", gauge="notify_messages") == 1
    assert sample(families, "shebao_notify_messages", status="created") is not None


def test_other_addresses_need_the_token(settings):
    app = create_app(replace(settings, metrics_token=TOKEN))
    try:
        client = app.test_client()
        assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
        assert (
            client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer wrong"}).status_code == 404
        )
        assert client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": TOKEN}).status_code == 404
        ok = client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        assert "shebao_http_requests_total" in ok.get_data(as_text=True)
        # A reverse proxy on the same host: the peer is loopback but the request came from outside.
        proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 404
        assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    finally:
        app.extensions["shebao_engine"].dispose()


def test_without_a_token_only_loopback_gets_in(client):
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 404
    assert client.get("/metrics", environ_base=OUTSIDE, headers={"Authorization": "Bearer "}).status_code == 404
    assert client.get("/metrics").status_code == 200


def test_metrics_needs_no_csrf_and_has_no_rate_limit(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    for _ in range(30):
        assert client.get("/metrics").status_code == 200
    assert client.post("/metrics").status_code == 405  # scrapes are GETs; a POST is refused, not a CSRF error


MULTIPROC_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from gateway import create_app
    from gateway.config import Settings

    settings = Settings(env="testing", secret_key=sys.argv[1], database_url=sys.argv[2], var_dir=Path(sys.argv[3]),
                        sandbox_url=sys.argv[4], log_level="WARNING")
    client = create_app(settings).test_client()
    for _ in range(int(sys.argv[5])):
        client.get("/healthz")
    if sys.argv[6] == "scrape":
        sys.stdout.write(client.get("/metrics").get_data(as_text=True))
    """
)


def test_multiprocess_mode_sums_every_worker(settings, tmp_path: Path):
    """Two processes (as gunicorn's workers) write to PROMETHEUS_MULTIPROC_DIR; a scrape of either sums both."""
    multiproc = tmp_path / "prom"
    multiproc.mkdir()
    env = {**os.environ, metrics.MULTIPROC_ENV: str(multiproc)}
    args = [settings.secret_key, settings.database_url, str(settings.var_dir), settings.sandbox_url]
    for count, then in ((2, "quit"), (3, "scrape")):
        done = subprocess.run(
            [sys.executable, "-c", MULTIPROC_CHILD, *args, str(count), then],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    families = {f.name: f.samples for f in text_string_to_metric_families(done.stdout)}
    assert sample(families, "shebao_http_requests_total", method="GET", route="/healthz", status="2xx") == 5
    assert sample(families, "shebao_notify_messages", status="created") is not None
    assert list(multiproc.glob("*.db")), "the workers wrote no sample files"
