"""The public web site (responsive H5): sections of DESIGN "Public contracts", at most three levels deep."""

from __future__ import annotations

from flask import Flask

from channels.web import auth, pages, rights


def init_app(app: Flask) -> None:
    auth.init_app(app)
    pages.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(rights.bp)
