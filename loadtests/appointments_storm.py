"""The opening morning of a popular hall (issues 4 and 18): 1,000 people over a minute for 20 places.

`bash loadtests/rush.sh` runs it whole (a throwaway database, the people, the gateway, locust in
.venv/loadtools). By hand, against a gateway started with `make run` (or any deployment), with people created by
`loadtests/storm_setup.py`:

    .venv/bin/python loadtests/storm_setup.py --people 1000 --capacity 20 --out var/storm.json
    STORM_SETUP=var/storm.json .venv/loadtools/bin/locust -f loadtests/appointments_storm.py --headless \\
        -u 1000 -r 16.7 -t 180s --host http://127.0.0.1:8000 --csv var/storm --only-summary

1,000 simulated people arrive over 60 s (16.7 a second), each logging in once and then, pausing 3–10 s between
pages as a person reading a phone does, browsing (the appointments page, a hall's slot list, the catalog) and
trying to book the contended slot until they get an answer. Rate limits are off for such a run
(SHEBAO_RATE_LIMITS=0) because every simulated person comes from 127.0.0.1. The summary at the end prints the
bookings against the slot's capacity (more than capacity fails the run) and the exit code is non-zero on any
error answer, so the run reads "exactly 20 bookings, 0 errors".
"""

from __future__ import annotations

import itertools
import json
import os
import re
import threading
import time

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

with open(os.environ.get("STORM_SETUP", "var/storm.json"), encoding="utf-8") as _fh:
    SETUP = json.load(_fh)
_people = itertools.cycle(SETUP["people"])
_lock = threading.Lock()
OUTCOMES: dict[str, int] = {"booked": 0, "slot_full": 0, "already_booked": 0, "other": 0}


class Citizen(FastHttpUser):
    wait_time = between(3, 10)  # a person reading a phone between pages (issue 18)

    def on_start(self) -> None:
        with _lock:
            self.id_number = next(_people)
        page = self.client.get("/account/login", name="/account/login").text
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        self.client.post(
            "/account/login",
            data={"id_number": self.id_number, "password": SETUP["password"], "csrf_token": token},
            name="/account/login [POST]",
        )
        page = self.client.get("/appointments/", name="/appointments/").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if found is None:  # the login failed (already counted as an error): this person gives up
            raise StopUser()
        self.csrf = found.group(1)
        self.booked = False

    @task(5)
    def browse_slots(self) -> None:
        self.client.get(f"/api/v1/appointments/slots?hall={SETUP['hall']}", name="/api/v1/appointments/slots")

    @task(2)
    def browse_pages(self) -> None:
        self.client.get("/appointments/", name="/appointments/")
        self.client.get("/api/v1/catalog", name="/api/v1/catalog")

    @task(3)
    def book(self) -> None:
        if self.booked:
            return
        with self.client.post(
            "/api/v1/appointments",
            json={"item": SETUP["item"], "slot": SETUP["slot"]},
            headers={"X-CSRFToken": self.csrf},
            name="/api/v1/appointments [POST]",
            catch_response=True,
        ) as resp:
            if resp.status_code == 201:
                outcome = "booked"
                self.booked = True
                resp.success()
            elif resp.status_code == 409:
                outcome = resp.json()["error"]["code"]
                outcome = outcome if outcome in OUTCOMES else "other"
                if outcome == "already_booked":
                    self.booked = True
                resp.success()  # a clear refusal is the correct answer, not an error
            else:
                outcome = "other"
                resp.failure(f"unexpected {resp.status_code}")
        with _lock:
            OUTCOMES[outcome] += 1


# Every answer's time, so the tail can be placed: in the arrival minute or after it (STORM_TIMES names the file).
_TIMES: list[tuple[float, str, float]] = []


@events.request.add_listener
def _timed(request_type, name, response_time, **_kwargs) -> None:
    _TIMES.append((time.time(), name, response_time))


@events.quitting.add_listener
def _report(environment, **_kwargs) -> None:
    if os.environ.get("STORM_TIMES"):
        with open(os.environ["STORM_TIMES"], "w", encoding="utf-8") as fh:
            fh.writelines(f"{at:.3f},{name},{ms:.1f}\n" for at, name, ms in _TIMES)
    print(f"bookings: {OUTCOMES['booked']} of capacity {SETUP['capacity']}; refusals: {OUTCOMES}")
    if OUTCOMES["booked"] > SETUP["capacity"] or environment.stats.total.num_failures:
        environment.process_exit_code = 1
