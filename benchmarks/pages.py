"""Benchmark: what the hot pages cost, in process and under gunicorn, against bare Flask measured alike.

    .venv/bin/python -m benchmarks.pages --requests 200 --seconds 8

1. **In process** (Flask's test client, no network): the mean time of GET on each hot page — home, progress,
   rights, contributions, appointments (signed in, level 2), the catalog and the verification page
   (anonymous) — and of bare Flask's page the same way; each figure also as bare Flask's time ÷ the page's.
2. **Under gunicorn** (`gateway.gunicorn_conf`: threaded workers, SHEBAO_WORKERS=2): requests/s that N client
   threads with kept-alive connections get from the public catalog, the catalog API, the verification API and
   the signed-in home page, progress and rights pages (level 2, as after the SMS step-up), and from bare Flask
   (benchmarks/bare_app.py) under the same gunicorn; each as a ratio. The client runs on the same two cores, so
   both sides of each ratio pay for it.
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

from benchmarks._setup import SECRET, demo_database, gateway_env, gunicorn

SIGNED_IN = ("/", "/progress/", "/rights/", "/rights/contributions", "/appointments/")
ANONYMOUS = ("/services/", "/verify/")
HTTP_PUBLIC = ("/services/", "/api/v1/catalog", "/api/v1/verify?code=ABCDEFGHJKMNPQRS")


def _in_process(url: str, var: Path, count: int) -> dict[str, float]:
    from flask import Flask

    from gateway import create_app
    from gateway.backoffice.demo import DEMO_PASSWORD, demo_accounts
    from gateway.config import Settings

    settings = Settings(
        secret_key=SECRET, database_url=url, var_dir=var, log_level="WARNING", rate_limits=False, env="testing"
    )
    app = create_app(settings)
    from sqlalchemy.orm import sessionmaker

    person = demo_accounts(sessionmaker(bind=app.extensions["shebao_engine"]))[0]
    signed = app.test_client()
    page = signed.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    signed.post("/account/login", data={"id_number": person.id_number, "password": DEMO_PASSWORD, "csrf_token": token})
    with signed.session_transaction() as s:
        s["auth_level"] = 2  # as after the SMS step-up the rights and progress pages ask for
    anonymous = app.test_client()

    bare = Flask("bare")
    bare.add_url_rule("/", "hello", lambda: "<!doctype html><title>bare</title><p>Hello</p>")
    bare_client = bare.test_client()

    def mean_ms(client, path: str, before_each=lambda: None) -> float:
        for _ in range(5):
            assert client.get(path).status_code == 200, path
        times = []
        for _ in range(count):
            before_each()
            t = time.perf_counter()
            client.get(path)
            times.append(time.perf_counter() - t)
        return statistics.fmean(times) * 1000

    out = {"bare Flask": mean_ms(bare_client, "/")}
    for path in SIGNED_IN:
        out[path] = mean_ms(signed, path)
    # The rights page repeated within 30 s shows the core system's answers of moments ago (issue 18); its first
    # visit asks the core system four questions and writes their evidence.
    forget = getattr(app.extensions["shebao_backoffice"], "forget_recent", None)
    if forget is not None:
        out["/rights/ (first visit)"] = mean_ms(signed, "/rights/", forget)
    for path in ANONYMOUS:
        out[path] = mean_ms(anonymous, path)
    app.extensions["shebao_engine"].dispose()
    return out


def _hammer(url: str, seconds: float, threads: int, cookies: dict | None = None) -> float:
    """Requests/s that ``threads`` kept-alive clients get from ``url`` in ``seconds``."""
    done = [0] * threads
    stop = time.monotonic() + seconds

    def client(i: int) -> None:
        http = requests.Session()
        if cookies:
            http.cookies.update(cookies)
        while time.monotonic() < stop:
            if http.get(url, timeout=30).status_code < 500:  # a 404 for an unknown code is an answer too
                done[i] += 1

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(done) / (time.monotonic() - started)


def _under_gunicorn(url: str, var: Path, seconds: float, threads: int) -> dict[str, float]:
    from gateway.backoffice.demo import DEMO_PASSWORD

    env = {**gateway_env(url, var), "SHEBAO_WORKERS": "2"}
    out: dict[str, float] = {}
    with gunicorn("benchmarks.bare_app:app", env, "--workers", "2") as base:
        out["bare Flask"] = _hammer(base + "/", seconds, threads)
    with gunicorn("gateway.wsgi:app", env, "--workers", "2") as base:
        for path in HTTP_PUBLIC:
            out[path.split("?")[0]] = _hammer(base + path, seconds, threads)
        from sqlalchemy import create_engine
        from sqlalchemy.orm import sessionmaker

        from gateway.backoffice.demo import demo_accounts

        engine = create_engine(url)
        person = demo_accounts(sessionmaker(bind=engine))[0]
        engine.dispose()
        http = requests.Session()
        page = http.get(base + "/account/login", timeout=30).text
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        http.post(
            base + "/account/login",
            data={"id_number": person.id_number, "password": DEMO_PASSWORD, "csrf_token": token},
            timeout=30,
        )
        cookies = http.cookies.get_dict()
        out["/ (signed in)"] = _hammer(base + "/", seconds, threads, cookies=cookies)
        _stepped_up(url, cookies)
        for path in ("/progress/", "/rights/"):
            out[f"{path} (level 2)"] = _hammer(base + path, seconds, threads, cookies=cookies)
    return out


def _stepped_up(url: str, cookies: dict) -> None:
    """The session of ``cookies`` at level 2, as after the SMS step-up the rights page asks for (the in-process
    run sets the same through the test client): its stored data is unsealed, changed and sealed again."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from gateway.identity.models import WebSession
    from gateway.identity.web_sessions import SessionCodec, _key
    from gateway.security.pii import PiiVault

    codec = SessionCodec(PiiVault(SECRET))
    key = _key(cookies["shebao_session"])
    engine = create_engine(url)
    with Session(engine) as s, s.begin():
        row = s.get(WebSession, key)
        data = codec.load(key, row.data)
        data["auth_level"] = 2
        row.data = codec.dump(key, data)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per page in process")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per page under gunicorn")
    parser.add_argument("--threads", type=int, default=8, help="client threads under gunicorn")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        var = Path(tmp)
        url = demo_database(var)
        load_before = os.getloadavg()
        inproc = _in_process(url, var, args.requests)
        served = _under_gunicorn(url, var, args.seconds, args.threads)
        load_after = os.getloadavg()
    bare_ms, bare_rps = inproc["bare Flask"], served["bare Flask"]
    print(f"in process, mean of {args.requests} GETs (bare Flask {bare_ms:.2f} ms):")
    for path, ms in inproc.items():
        print(f"  {path:28} {ms:7.2f} ms   bare/page {bare_ms / ms:5.2f}")
    print(f"under gunicorn (2 threaded workers), {args.threads} clients, {args.seconds:.0f} s each:")
    for path, rps in served.items():
        print(f"  {path:28} {rps:7.0f} req/s   page/bare {rps / bare_rps:5.2f}")
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f}")
    if args.json:
        Path(args.json).write_text(
            json.dumps({"in_process_ms": inproc, "gunicorn_rps": served, "load": [load_before[0], load_after[0]]})
        )


if __name__ == "__main__":
    main()
