"""``/api/v1/auth/step-up/essc``: a logged-in person reaches assurance level 3 on a token channel (the
mini-program) through the e-SSC platform, as the web does with its redirect (DESIGN "Identity": a lower session
is stepped up, never refused with a dead end; LD/T 01 5.4.1.5 real-name check by the e-SSC).

The gate answers ``403 step_up_required`` when an operation needs a higher level. The app then starts a step-up
here, opens ``authorize_url`` (the e-SSC platform's authorisation page — in a real mini-program the e-SSC
mini-program reached with ``wx.navigateToMiniProgram``; the sandbox speaks the same protocol), and polls the
status with ``poll_token``. The gateway collects the code server to server, checks the signed ID token and
confirms the one-time ``busiSeq`` (the same ``gateway.identity.essc`` the web and the kiosk use); only a card of
the person already logged in is accepted. The answer is a new token pair at level 3 for the same channel."""

from __future__ import annotations

import secrets

from apiflask import APIBlueprint
from apiflask.fields import Integer, String
from flask import current_app, request, url_for

from gateway.access.edge import current_actor
from gateway.access.needs import gate
from gateway.api.auth import AuthTokens, PollToken
from gateway.api.schemas import Output
from gateway.channel_policy import LoginMethod, Operation, policy_for
from gateway.clients import get_backoffice
from gateway.identity.models import EventKind
from gateway.identity.service import IdentityError, record_event
from gateway.identity.tokens import issue_tokens
from gateway.problems import UserError
from gateway.request_db import get_session
from gateway.security.limits import limiter

bp = APIBlueprint("step_up", __name__, url_prefix="/auth/step-up", tag="登录")

LEVEL = 3
NOT_THE_SAME = "电子社保卡持卡人与当前登录人不一致，请使用本人的电子社保卡。"


class StepUpStart(Output):
    poll_token = String(required=True, metadata={"description": "轮询核验结果用的凭证"})
    authorize_url = String(
        required=True, metadata={"description": "电子社保卡授权页（小程序在 web-view 或电子社保卡小程序中打开）"}
    )
    expires_in = Integer(required=True, metadata={"description": "有效秒数"})


def _cfg():
    from gateway.identity.essc import config_from

    return config_from(current_app.config["SETTINGS"], url_for("auth.essc_callback", _external=True))


@bp.post("/essc")
@gate(Operation.LOGIN, level=1)
@limiter.limit("10 per minute")
@bp.output(
    StepUpStart,
    status_code=201,
    description="已开始电子社保卡核验",
    example={
        "poll_token": "pt_8Hk2x0c9qVd3mW1sLr5u",
        "authorize_url": "https://essc.example.cn/essc/authorize?response_type=code&client_id=shebao-gateway&state=…",
        "expires_in": 120,
    },
)
@bp.doc(
    summary="提升至安全级别 3：用电子社保卡核验本人（开始）",
    operation_id="startEsscStepUp",
    responses={403: "该渠道不提供电子社保卡核验", 429: "请求过于频繁"},
)
def start():
    """Start the e-SSC check for the person logged in on this channel."""
    from gateway.identity.essc import QR_FLOW_TTL, start_flow

    actor = current_actor()
    methods = policy_for(actor.channel).login_methods
    if LoginMethod.ESSC not in methods and LoginMethod.ESSC_QR not in methods:
        raise UserError("method_not_allowed", "该渠道不提供电子社保卡核验。", 403)
    poll_token = secrets.token_urlsafe(32)
    # The "qr" kind: the platform hands the code to the gateway server to server, not through a redirect the
    # app could not receive.
    _, url = start_flow(get_session(), _cfg(), "qr", actor.channel.value, poll_token=poll_token)
    return {"poll_token": poll_token, "authorize_url": url, "expires_in": int(QR_FLOW_TTL.total_seconds())}


@bp.post("/essc/status")
@gate(Operation.LOGIN, level=1)
@limiter.limit("60 per minute")
@bp.input(PollToken, example={"poll_token": "pt_8Hk2x0c9qVd3mW1sLr5u"})
@bp.output(
    AuthTokens,
    description="pending、expired，或安全级别 3 的新凭证",
    example={
        "status": "ok",
        "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl",
        "token_type": "Bearer",
        "expires_in": 600,
        "refresh_token": "rt_3f9c0a7d5e2b4c18a6d0e9f1b2c3d4e5",
        "assurance_level": 3,
    },
)
@bp.doc(
    summary="提升至安全级别 3：轮询核验结果（pending / expired / ok）",
    operation_id="finishEsscStepUp",
    responses={400: "核验未通过", 403: "持卡人不是当前登录人"},
)
def status(json_data: dict):
    """``pending`` until the holder approves, then level-3 tokens for this channel; or ``expired``."""
    from gateway.identity.essc import finish_flow, pending_flow, person_for_holder, poll_qr

    actor = current_actor()
    db = get_session()
    flow = pending_flow(db, poll_token=json_data["poll_token"])
    if flow is None or flow.channel != actor.channel.value:
        return {"status": "expired", "message": "核验已过期，请重新开始。"}
    code = poll_qr(_cfg(), flow.state)
    if code is None:
        return {"status": "pending"}
    try:
        holder = finish_flow(db, _cfg(), flow, code)
        person = person_for_holder(db, current_app.extensions["shebao_vault"], get_backoffice(), holder, flow.channel)
    except IdentityError as exc:
        db.rollback()
        raise UserError(exc.code, exc.message, 400) from exc
    if person.id != actor.subject_id:
        db.rollback()
        raise UserError("essc_other_person", NOT_THE_SAME, 403)
    record_event(
        db,
        EventKind.STEP_UP,
        person_id=person.id,
        method=LoginMethod.ESSC.value,
        channel=flow.channel,
        ip=request.remote_addr,
        detail=f"提升至 {LEVEL} 级",
    )
    pair = issue_tokens(db, current_app.config["SECRET_KEY"], person.id, LEVEL, flow.channel)
    return {"status": "ok", **pair.as_json()}
