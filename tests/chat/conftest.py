"""Live chat tests run with agents on duty all day, so they pass at any hour; the hours rule has tests of its own
(test_service.py, and test_http.py with the default working-day hours)."""

from __future__ import annotations

import dataclasses

import pytest

from gateway.config import Settings

ALWAYS = "daily 00:00-24:00"


@pytest.fixture(scope="session")
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, chat_hours=ALWAYS)
