"""A new gunicorn worker does its one-time work before it takes its first request, not during it.

Without this, the first person to reach each page of a freshly started worker paid for compiling its
templates (159 of them, about 0.8 s in all), loading stdnum's list of place codes (70 ms), the login page's
country list and Argon2's first allocation: on the opening morning, just after a restart, the first logins
took 1.4–1.7 s and the login page 0.3–0.8 s while every later one took milliseconds (issue 18's rush).
``gateway.wsgi`` calls :func:`warm` once per worker, before gunicorn hands it a connection; the tests' apps
skip it, so each test pays only for what it uses.
"""

from __future__ import annotations

from datetime import date

from flask import Flask

from gateway.identity.passwords import verify_password
from gateway.validation import make_id_number, normalize_id_number, passport_countries


def warm(app: Flask) -> int:
    """Compile every template and load the lazily loaded tables; returns the number of templates compiled."""
    env = app.jinja_env
    names = env.list_templates()
    for name in names:
        env.get_template(name)
    # The ID-number check's birth-place table, read from stdnum's data file on first use.
    normalize_id_number(make_id_number("110105", date(1970, 1, 1), 1))
    passport_countries()  # the login page's list of issuing countries
    verify_password(None, "warm-up")  # the dummy verification: no account, nothing stored
    return len(names)
