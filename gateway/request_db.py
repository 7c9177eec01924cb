"""The request's database session, and its one commit (DESIGN "Use cases and the Actor", step 4): services
flush; the request boundary commits a successful answer's work once, or rolls a refusal's back."""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy.orm import Session, sessionmaker

from gateway.db import make_engine, settle_unfinished


def get_session() -> Session:
    """The request's session, opened on first use and closed at the end of the app context."""
    from flask import current_app

    if "db_session" not in g:
        g.db_session = current_app.extensions["shebao_sessionmaker"]()
    return g.db_session


def keep_on_refusal() -> None:
    """This request's transaction holds a record that must stay even though the answer is a refusal (the audit
    entry of a refused verification attempt, say): commit it with the 4xx page."""
    g.db_keep_on_refusal = True


def _commit_or_roll_back(response):
    """The one commit owner of a request (DESIGN "Use cases and the Actor", step 4): services flush; a
    successful answer commits their work once, a refusal or an error rolls all of it back."""
    session = g.get("db_session")
    if session is not None:
        if response.status_code < 400 or g.get("db_keep_on_refusal"):
            session.commit()
        else:
            session.rollback()
    return response


def _close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        settle_unfinished(session)
        session.close()


def init_app(app: Flask) -> None:
    """Bind an engine and a session factory to the app."""
    settings = app.config["SETTINGS"]
    # A connection for each thread of the worker, and two for the sessions a login or a first visit saves
    # beside the request's own: past the pool, connections are opened and closed again per use.
    engine = make_engine(settings.database_url, pool_size=settings.threads + 2)
    app.extensions["shebao_engine"] = engine
    app.extensions["shebao_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.after_request(_commit_or_roll_back)
    app.teardown_appcontext(_close_session)
