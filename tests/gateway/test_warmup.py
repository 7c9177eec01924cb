"""A gunicorn worker compiles every template before its first request (issue 18: the first logins after a
restart took 1.4–1.7 s while every later one took milliseconds)."""

from __future__ import annotations

import subprocess
import sys

from gateway.warmup import warm


def _in_a_new_worker(code: str, tmp_path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter, as a gunicorn worker starts: nothing imported by other tests."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env={"SHEBAO_VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_warm_compiles_every_template_once(app):
    env = app.jinja_env
    assert len(env.cache) < len(env.list_templates())  # a new app has compiled none, or few, of them
    compiled = warm(app)
    assert compiled == len(env.list_templates()) > 100
    # Every template is now in the compiled cache: a page renders without compiling (or failing to compile).
    loaded = {name for (_loader, name) in env.cache}
    assert loaded == set(env.list_templates())


def test_the_wsgi_entry_point_warms_the_worker(tmp_path):
    """``gunicorn gateway.wsgi:app`` imports this module in each worker: it must hand over a warmed app."""
    code = (
        "import gateway.wsgi as w; env = w.app.jinja_env; "
        "print(len({n for (_l, n) in env.cache}) == len(env.list_templates()))"
    )
    out = _in_a_new_worker(code, tmp_path)
    assert out.stdout.strip().splitlines()[-1] == "True", out.stderr


def test_the_worker_keeps_its_startup_objects_out_of_the_collectors_way(tmp_path):
    """A full collection walks only what requests made, not the ~270,000 objects of the started app (issue 18)."""
    out = _in_a_new_worker("import gc, gateway.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))", tmp_path)
    frozen, tracked = map(int, out.stdout.split()[-2:])
    assert frozen > 100_000, out.stderr  # the app, its templates and tables: set aside
    assert tracked < frozen / 100  # what a full collection still walks
