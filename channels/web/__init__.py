"""The public web site (responsive H5): sections of DESIGN "Public contracts", at most three levels deep."""

from __future__ import annotations

from flask import Flask

from channels.web import (
    account_manage,
    applications,
    appointments,
    auth,
    auth_cert,
    auth_social,
    certificates,
    chat,
    consult,
    inbox,
    info,
    pages,
    progress,
    proxies,
    public_cache,
    rights,
    samples,
    services_extra,
    units,
    verify,
)


def init_app(app: Flask) -> None:
    auth.init_app(app)
    pages.init_app(app)
    public_cache.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(rights.bp)
    app.register_blueprint(appointments.bp)
    applications.init_app(app)
    app.register_blueprint(applications.bp)
    app.register_blueprint(progress.bp)
    app.register_blueprint(proxies.bp)
    inbox.init_app(app)
    app.register_blueprint(certificates.bp)
    verify.init_app(app)
    auth_social.init_app(app)
    account_manage.init_app(app)
    app.register_blueprint(auth_cert.bp)
    app.register_blueprint(units.bp)
    services_extra.init_app(app)
    consult.init_app(app)
    app.register_blueprint(chat.bp)
    info.init_app(app)
    samples.init_app(app)
