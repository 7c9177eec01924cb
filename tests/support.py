"""Helpers for tests that are not fixtures."""

from __future__ import annotations

import os
from pathlib import Path


def database_url_for_tests(sqlite_path: Path) -> str:
    """PostgreSQL when the CI lane asks for it, otherwise a SQLite file at ``sqlite_path``."""
    return os.environ.get("SHEBAO_TEST_DATABASE_URL") or f"sqlite:///{sqlite_path}"


def solve_captcha(html: str) -> str:
    """What the ALTCHA widget posts after its proof of work, computed here for the challenge on the page (the work
    is real: a script must spend it too)."""
    import html as html_lib
    import json
    import re

    import altcha
    from altcha import v2

    raw = re.search(r'<altcha-widget[^>]*\schallenge="([^"]+)"', html).group(1)
    challenge = v2.Challenge.from_dict(json.loads(html_lib.unescape(raw)))
    solution = altcha.solve_challenge(challenge)
    return v2.Payload(challenge=challenge, solution=solution).to_base64()


def resident_id(number: str) -> bool:
    """Whether a back-office person's social security number is a resident ID number: tests that log in or
    register with the default document take these (the demo's permit and passport holders are not)."""
    from gateway.validation import ValidationError, normalize_id_number

    try:
        normalize_id_number(number)
    except ValidationError:
        return False
    return True


def untouched(session, vault, id_number: str) -> bool:
    """Whether no test has used this back-office person online yet: no gateway identity, and no failed password
    or binding tries counted against them (a test that fails a binding on purpose leaves a guard behind, and a
    later test handed the same person would meet "核对失败次数过多")."""
    from sqlalchemy import select

    from gateway.identity.models import LoginGuard
    from gateway.identity.service import find_person

    if find_person(session, vault, id_number) is not None:
        return False
    guards = [vault.digest(id_number), vault.digest(f"binding-id:{id_number}")]
    return session.scalar(select(LoginGuard.subject_digest).where(LoginGuard.subject_digest.in_(guards))) is None


def take_untouched(app, pool: list, what: str = "demo people"):
    """Take from ``pool`` (popping from its end) the first person no test has touched (:func:`untouched`)."""
    from gateway.request_db import get_session

    with app.app_context():
        while pool:
            candidate = pool.pop()
            if untouched(get_session(), app.extensions["shebao_vault"], candidate.id_number):
                return candidate
    raise RuntimeError(f"no untouched {what} left")
