"""The staff console under ``/hotline/``: 12333 agents, hall staff, reviewers and administrators log in here with
password + TOTP; each section checks the staff member's role, and every action is written to the audit trail."""

from __future__ import annotations

from flask import Flask

from channels.hotline import (
    applications,
    callers,
    certificates,
    chat,
    consult,
    hall_admin,
    halls,
    login,
    maintenance,
    messages,
    people,
    public_info,
    staff_admin,
    trail,
)
from gateway.access.edge import current_staff


def init_app(app: Flask) -> None:
    app.jinja_env.globals["current_staff"] = current_staff
    app.register_blueprint(login.bp)
    app.register_blueprint(people.bp)
    app.register_blueprint(hall_admin.bp)
    app.register_blueprint(applications.bp)
    app.register_blueprint(callers.bp)
    app.register_blueprint(certificates.bp)
    app.register_blueprint(halls.bp)
    app.register_blueprint(trail.bp)
    app.register_blueprint(messages.bp)
    app.register_blueprint(consult.bp)
    app.register_blueprint(chat.bp)
    app.register_blueprint(public_info.bp)
    app.register_blueprint(staff_admin.bp)
    app.register_blueprint(maintenance.bp)
