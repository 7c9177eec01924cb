"""``GET /api/v1/help/search?q=…``: the knowledge base for the mini-program, kiosk and hotline (LD/T 01 5.5.2 a).

Answers ``{"query", "results": [{"id", "title", "answer", "source", "link"}, …]}`` best first, at most 10
(DESIGN "Public contracts"). No login: consultation is free and open to everyone (Regulation Art. 32).
"""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from gateway.help.knowledge import knowledge_base, search
from gateway.security.limits import limiter

bp = Blueprint("api_help", __name__, url_prefix="/api/v1/help")

#: Per address: plenty for a person typing, a brake on scripted scraping.
SEARCH_LIMIT = "30 per minute; 600 per hour"


@bp.get("/search")
@limiter.limit(SEARCH_LIMIT)
def search_api():
    query = request.args.get("q")
    results = search(query)  # empty or too long → UserError → 400 in the API error shape (gateway.errors)
    return jsonify({"query": " ".join((query or "").split()), "results": [e.as_json() for e in results]})


def init_app(app: Flask) -> None:
    knowledge_base()  # index once at startup, not in the first person's request
    app.register_blueprint(bp)
