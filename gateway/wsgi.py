"""WSGI entry point for gunicorn: ``gunicorn gateway.wsgi:app``."""

from gateway import create_app
from gateway.warmup import warm

app = create_app()
warm(app)  # each worker compiles its templates before it accepts a connection (gateway/warmup.py)
