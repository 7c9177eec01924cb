"""Benchmark: what the evidence of the core system's calls (the exchange log and the last known answers, issue 19)
costs a page — SQL statements per request on every engine (the request's and the side writes'), and the mean
time of the request in process.

    .venv/bin/python -m benchmarks.evidence --requests 100
    .venv/bin/python -m benchmarks.evidence --requests 100 --database-url postgresql+psycopg://…/db

On PostgreSQL the database must be empty (it is migrated and filled with the demo population here). Prints one
JSON object: per page, the statements of one request (all, and those on the evidence tables) and the mean ms.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks._setup import SECRET, demo_database

PAGES = ("/rights/", "/rights/contributions", "/")
EVIDENCE_TABLES = ("bo_exchange_head", "bo_exchange_log", "bo_last_known")


def _database(url: str | None, var: Path) -> str:
    if url is None:
        return demo_database(var)
    import sqlalchemy as sa
    from sqlalchemy.orm import sessionmaker

    from gateway.appointments.demo import load_halls
    from gateway.backoffice.demo import DemoSpec
    from gateway.identity.demo import load_demo_data
    from gateway.migrate import upgrade
    from gateway.security.pii import PiiVault

    upgrade(url)
    engine = sa.create_engine(url)
    sessions = sessionmaker(bind=engine)
    load_demo_data(sessions, PiiVault(SECRET), DemoSpec(seed=3, people=40, units=3, today=date.today()))
    with sessions.begin() as s:
        load_halls(s)
    engine.dispose()
    return url


def measure(url: str, var: Path, count: int) -> dict[str, dict[str, float]]:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import sessionmaker

    from gateway import create_app
    from gateway.backoffice.demo import DEMO_PASSWORD, demo_accounts
    from gateway.config import Settings

    settings = Settings(
        secret_key=SECRET, database_url=url, var_dir=var, log_level="WARNING", rate_limits=False, env="testing"
    )
    app = create_app(settings)
    person = demo_accounts(sessionmaker(bind=app.extensions["shebao_engine"]))[0]
    client = app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    client.post("/account/login", data={"id_number": person.id_number, "password": DEMO_PASSWORD, "csrf_token": token})
    with client.session_transaction() as s:
        s["auth_level"] = 2

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, PLR0913
        statements.append(statement)

    out: dict[str, dict[str, float]] = {}
    for path in PAGES:
        for _ in range(5):
            assert client.get(path).status_code == 200, path
        event.listen(Engine, "before_cursor_execute", record)  # every engine: the side writes' too
        statements.clear()
        client.get(path)
        event.remove(Engine, "before_cursor_execute", record)
        evidence = [s for s in statements if any(t in s for t in EVIDENCE_TABLES)]
        times = []
        for _ in range(count):
            t = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - t)
        out[path] = {
            "statements": len(statements),
            "evidence_statements": len(evidence),
            "mean_ms": round(statistics.fmean(times) * 1000, 2),
        }
    app.extensions["shebao_engine"].dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        var = Path(folder)
        url = _database(args.database_url, var)
        print(json.dumps(measure(url, var, args.requests), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
