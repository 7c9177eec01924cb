"""Templates' ``url_for`` keeps the URLs it built (issue 18): a kept URL is the one werkzeug builds, per endpoint,
arguments and their types."""

from __future__ import annotations

from flask import url_for


def test_kept_urls_are_the_urls_flask_builds(app) -> None:
    kept = app.jinja_env.globals["url_for"]
    assert kept is not app.url_for
    with app.test_request_context("/progress/"):
        for endpoint, values in [
            ("static", {"filename": "css/site.css"}),
            ("pages.home", {}),
            ("pages.elder_mode", {"on": 1, "back": "/progress/?a=1"}),
            ("pages.elder_mode", {"on": True, "back": "/"}),
            ("pages.services", {"q": "退休"}),
        ]:
            assert kept(endpoint, **values) == url_for(endpoint, **values)
            assert kept(endpoint, **values) == url_for(endpoint, **values)  # the second time from what was kept
        # 1 and True are equal keys in Python but different URLs.
        assert kept("pages.elder_mode", on=1) != kept("pages.elder_mode", on=True)
        assert kept("pages.home", _external=True) == url_for("pages.home", _external=True)
        assert kept(".index") == url_for("progress.index")  # a relative endpoint, in the request's blueprint
    with app.test_request_context("/rights/"):
        assert kept(".index") == url_for("rights.index")  # not the one kept under another blueprint
