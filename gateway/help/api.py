"""The knowledge-base search's rate limit per address, shared by the help page (``channels/web/pages.py``) and
``GET /api/v1/help/search`` (:mod:`gateway.api.help`): plenty for a person typing, a brake on scripted scraping."""

from __future__ import annotations

SEARCH_LIMIT = "30 per minute; 600 per hour"
