"""gunicorn's settings for ``shebao serve`` (``-c python:gateway.gunicorn_conf``); the command line still wins.

Threaded workers (gthread): a login spends ~20 ms of CPU in Argon2id, and argon2-cffi releases the GIL while
it hashes, so with threads a login occupies one thread while the same worker goes on answering pages. With
the sync workers used before, every worker busy hashing meant a 2 ms page waited seconds in the accept queue
(issue 18; benchmarks/login_pressure.py measures both models). Few threads per worker (SHEBAO_THREADS, default
3): every thread that computes is one more for the others to win the GIL back from after each database round
trip, and in the opening-morning rush 3 threads beat 4 and 8 on both databases (docs/performance.md).
SQLAlchemy sessions are per request (one per Flask app context), so the app is thread-safe; the test suite
runs it with 8 threads.
"""

from __future__ import annotations

from gateway.config import threads_per_worker

worker_class = "gthread"
#: Threads per worker (SHEBAO_THREADS).
threads = threads_per_worker()
# An idle kept-alive connection waits in the worker's poller, not in a thread, so it may wait as long as a person
# reads a page (nginx's default, 75 s). At 5 s, a phone pausing 3–10 s between pages met a connection the server
# was closing just as the next request went out, and that request was lost (issue 18's rush: 3 % of requests).
keepalive = 75
