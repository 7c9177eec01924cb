"""Tests in this folder drive a real browser; the fixtures live in tests/browser_fixtures.py."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
