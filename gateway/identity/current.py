"""Who is logged in on this request's web session. Shared by the web pages and the JSON API's cookie path,
so the API (gateway/) never has to reach into a channel for it."""

from __future__ import annotations

from flask import current_app, g, session

from gateway.db import get_session
from gateway.identity.models import Person
from gateway.identity.service import Identity, identity_of


def current_identity() -> Identity | None:
    """The logged-in person of this request, loaded once from the session's person id."""
    if "identity" in g:
        return g.identity
    g.identity = None
    person_id = session.get("person_id")
    if person_id is not None:
        person = get_session().get(Person, person_id)
        if person is not None:
            g.identity = identity_of(current_app.extensions["shebao_vault"], person)
    return g.identity


def current_level() -> int:
    """The assurance level this session reached (0 when nobody is logged in)."""
    return int(session.get("auth_level", 0)) if current_identity() is not None else 0
