"""Benchmark: does a burst of password logins starve the pages? gunicorn's sync workers vs threaded workers.

    .venv/bin/python -m benchmarks.login_pressure --seconds 10 --logins 6

The gateway under gunicorn (2 workers) on a throwaway SQLite database: ``--logins`` client threads log in
without pause (the right password, so no lockout; rate limits off, every client being 127.0.0.1) while one more
client reads ``GET /account/login`` once every 50 ms and records how long each answer took. Run once with
``--worker-class sync`` (one request per worker at a time: the model before issue 18) and once with the
gateway's own gunicorn config (gthread, SHEBAO_THREADS threads per worker). Argon2id releases the GIL while it
hashes, so under threads a login holds one thread, and the page is answered by another.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import threading
import time
from pathlib import Path

import requests

from benchmarks._setup import demo_database, gateway_env, gunicorn


def _run(base: str, people: list[str], password: str, seconds: float, logins: int) -> dict[str, float]:
    stop = time.monotonic() + seconds
    done = [0] * logins
    page_ms: list[float] = []

    def login_loop(i: int) -> None:
        http = requests.Session()
        while time.monotonic() < stop:
            http.cookies.clear()
            page = http.get(base + "/account/login", timeout=60).text
            token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
            resp = http.post(
                base + "/account/login",
                data={"id_number": people[i % len(people)], "password": password, "csrf_token": token},
                timeout=60,
                allow_redirects=False,
            )
            if resp.status_code == 302:
                done[i] += 1

    def page_loop() -> None:
        http = requests.Session()
        while time.monotonic() < stop:
            t = time.perf_counter()
            http.get(base + "/account/login", timeout=60)
            page_ms.append((time.perf_counter() - t) * 1000)
            time.sleep(0.05)

    threads = [threading.Thread(target=login_loop, args=(i,)) for i in range(logins)]
    threads.append(threading.Thread(target=page_loop))
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    page_ms.sort()
    return {
        "logins_per_s": sum(done) / elapsed,
        "page_p50_ms": statistics.median(page_ms),
        "page_p95_ms": page_ms[int(len(page_ms) * 0.95) - 1],
        "page_max_ms": page_ms[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--logins", type=int, default=6, help="client threads logging in without pause")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    from gateway.backoffice.demo import DEMO_PASSWORD, demo_accounts

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        url = demo_database(var)
        engine = create_engine(url)
        people = [a.id_number for a in demo_accounts(sessionmaker(bind=engine))]
        engine.dispose()
        env = {**gateway_env(url, var)}
        load_before = os.getloadavg()
        for model, extra in (("sync", ("--worker-class", "sync", "--threads", "1")), ("gthread", ())):
            with gunicorn("gateway.wsgi:app", env, "--workers", "2", *extra) as base:
                results[model] = _run(base, people, DEMO_PASSWORD, args.seconds, args.logins)
        load_after = os.getloadavg()
    for model, r in results.items():
        print(
            f"{model:8} logins {r['logins_per_s']:5.1f}/s   GET /account/login during them: "
            f"p50 {r['page_p50_ms']:7.1f} ms  p95 {r['page_p95_ms']:7.1f} ms  max {r['page_max_ms']:7.1f} ms"
        )
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps({**results, "load": [load_before[0], load_after[0]]}))


if __name__ == "__main__":
    main()
