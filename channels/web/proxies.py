"""Authorised proxies on the web (Regulation Art. 30): name a relative or carer who may book window appointments
for you, see who may act for you and for whom you may act, and end a grant from either side."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from channels.web.pages import ELDER_COOKIE
from gateway import clock
from gateway.access.edge import current_identity
from gateway.access.needs import gate
from gateway.channel_policy import Operation
from gateway.clients import get_backoffice
from gateway.identity.documents import read_document
from gateway.proxies import service as proxies
from gateway.request_db import get_session
from gateway.validation import DocumentType, ValidationError, passport_countries

bp = Blueprint("proxies", __name__, url_prefix="/account/proxies")


def _vault():
    return current_app.extensions["shebao_vault"]


def _page(errors=(), form=None, status: int = 200):
    who = current_identity()
    db = get_session()
    now = clock.now()
    return render_template(
        "web/proxies/index.html",
        granted=proxies.my_proxies(db, _vault(), who.person_id, now),
        acting=proxies.acting_for(db, _vault(), who.person_id, now),
        periods=proxies.PERIODS,
        errors=list(errors),
        form=form or {},
        doc_types=list(DocumentType),
        countries=passport_countries(),
    ), status


@bp.get("/")
@gate(Operation.ACCOUNT)
def index():
    if request.cookies.get(ELDER_COOKIE) == "1" and not request.args.get("all"):
        # 长辈版 "找人帮忙": who helps now, and one big button to authorise someone; the form and the revoking
        # one tap away on the standard page (``?all=1``).
        who = current_identity()
        granted = proxies.my_proxies(get_session(), _vault(), who.person_id, clock.now())
        return render_template("web/elder/proxies.html", granted=granted)
    return _page()


@bp.post("/")
@gate(Operation.ACCOUNT, level=2)  # giving someone power to act for you needs more than a password
def add():
    form = request.form
    errors = []
    document = None
    try:  # the proxy's identity document, of any type (LD/T 01 6.2.3 b)
        document = read_document(form.get("proxy_doc_type"), form.get("proxy_id_number"), form.get("proxy_country"))
    except ValidationError as exc:
        errors.append(("proxy_id_number", exc.message))
    name = (form.get("proxy_name") or "").strip()
    if not name or len(name) > 40:
        errors.append(("proxy_name", "请填写代办人的姓名。"))
    months = form.get("months", "")
    if not months.isdigit() or int(months) not in proxies.PERIODS:
        errors.append(("months", "请选择授权期限。"))
    if form.get("understood") != "yes":
        errors.append(("understood", "请确认您已了解代办人可以为您预约和取消窗口办理。"))
    if errors:
        return _page(errors, form, 400)
    try:
        proxies.grant(
            get_session(),
            _vault(),
            get_backoffice(),
            grantor_id=current_identity().person_id,
            proxy_id_number=document.number,
            proxy_document=document,
            proxy_name=name,
            months=int(months),
            now=clock.now(),
        )
    except proxies.ProxyRefused as refused:
        get_session().rollback()
        return _page([("proxy_id_number", refused.message)], form, refused.status)
    return redirect(url_for("proxies.index", done="granted"))


@bp.post("/<int:grant_id>/revoke")
@gate(Operation.ACCOUNT)
def revoke(grant_id: int):
    try:
        proxies.revoke(get_session(), grant_id=grant_id, person_id=current_identity().person_id, now=clock.now())
    except proxies.ProxyRefused as refused:
        get_session().rollback()
        return _page([("granted", refused.message)], status=refused.status)
    return redirect(url_for("proxies.index", done="revoked"))
