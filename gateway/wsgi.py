"""WSGI entry point for gunicorn: ``gunicorn gateway.wsgi:app``."""

import gc

from gateway import create_app
from gateway.warmup import warm

app = create_app()
warm(app)  # each worker compiles its templates before it accepts a connection (gateway/warmup.py)
# What the worker holds from here on (modules, templates, jieba's dictionary: some 270,000 objects) lives as
# long as the worker, so the cyclic collector need not walk it again. Unfrozen, each full collection walked it
# all, holding the GIL for 140–490 ms in the opening-morning rush and stalling every thread of the worker.
gc.freeze()
