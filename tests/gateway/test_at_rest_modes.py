"""Data at rest (issue 13): under a service manager's usual umask 022, ``var/`` is made 0700 and the SQLite
database, the rate-limit counters and stored uploads 0600 — set where they are made, never left to the umask."""

from __future__ import annotations

import dataclasses
import os
import stat
import subprocess
import sys

import pytest

from gateway import create_app
from gateway.applications.uploads import IncomingFile, store_files, use_vault
from gateway.security.pii import PiiVault
from tests.conftest import TEST_SECRET

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_var_folder_database_and_counters_are_private(settings, tmp_path, loose_umask):
    var = tmp_path / "fresh" / "var"
    db = var / "shebao.db"
    app = create_app(dataclasses.replace(settings, var_dir=var, database_url=f"sqlite:///{db}"))
    try:
        with app.extensions["shebao_engine"].connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x)")  # SQLite writes: the -wal file appears beside it
    finally:
        app.extensions["shebao_engine"].dispose()
    assert _mode(var) == 0o700
    assert _mode(db) == 0o600
    assert _mode(var / "ratelimits.db") == 0o600
    for extra in var.glob("*.db-*"):  # -wal / -shm take the database's mode
        assert _mode(extra) & 0o077 == 0, extra


def test_an_existing_world_readable_database_is_tightened(settings, tmp_path, loose_umask):
    var = tmp_path / "old-var"
    var.mkdir(mode=0o755)
    db = var / "shebao.db"
    db.write_bytes(b"")
    db.chmod(0o644)
    app = create_app(dataclasses.replace(settings, var_dir=var, database_url=f"sqlite:///{db}"))
    app.extensions["shebao_engine"].dispose()
    assert _mode(db) == 0o600 and _mode(var) == 0o700


def test_stored_uploads_are_private(tmp_path, loose_umask):
    var = tmp_path / "uploads-var"
    use_vault(var, PiiVault(TEST_SECRET))
    (stored,) = store_files([IncomingFile(material="身份证", filename="a.pdf", data=PDF)], var)
    assert _mode(var) == 0o700 and _mode(var / "uploads") == 0o700
    assert _mode(var / "uploads" / stored.stored_name) == 0o600


def test_the_embedded_secret_makes_var_private_in_a_fresh_process(tmp_path):
    var = tmp_path / "cli-var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHEBAO_")}
    env["SHEBAO_VAR_DIR"] = str(var)
    code = "import os; os.umask(0o022); from gateway.config import Settings; Settings.from_env()"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)
    assert _mode(var) == 0o700 and _mode(var / "secret.key") == 0o600
