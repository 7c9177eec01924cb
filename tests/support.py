"""Helpers for tests that are not fixtures."""

from __future__ import annotations

import os
from pathlib import Path


def database_url_for_tests(sqlite_path: Path) -> str:
    """PostgreSQL when the CI lane asks for it, otherwise a SQLite file at ``sqlite_path``."""
    return os.environ.get("SHEBAO_TEST_DATABASE_URL") or f"sqlite:///{sqlite_path}"
