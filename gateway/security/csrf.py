"""CSRF protection for every form (Flask-WTF); JSON operations carried by bearer tokens are exempted per
blueprint, cookie-carried API writes are checked by their operation."""

from __future__ import annotations

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
