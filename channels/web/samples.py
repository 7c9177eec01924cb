"""A guide's handling flow diagram and its form sample (LD/T 01 5.6.2): the flow is drawn from the catalog for the
guide page; the sample is a public PDF, the same for everyone, so it may be cached."""

from __future__ import annotations

from flask import Blueprint, Flask, request

from gateway.access.needs import public
from gateway.catalog.flowchart import flowchart
from gateway.channel_policy import Operation
from gateway.clients import get_clients
from gateway.downloads import pdf_attachment
from gateway.public_info import samples
from gateway.security.limits import limiter

bp = Blueprint("samples", __name__)

#: Like the other public downloads: generous for a person, a wall for a crawler.
SAMPLE_LIMIT = "20 per minute; 200 per hour"


@bp.get("/services/<item_id>/sample.pdf")
@public(Operation.QUERY)
@limiter.limit(SAMPLE_LIMIT)
def sample_pdf(item_id: str):
    """The item's application form filled with fictitious values, marked 样例 on every page, unsealed."""
    file = samples.sample_for(item_id, get_clients().sealer)  # UnknownItem → the Chinese 404 page
    resp = pdf_attachment(file.pdf, file.filename, cache="public, max-age=86400")
    resp.add_etag()
    return resp.make_conditional(request)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["item_flowchart"] = flowchart
