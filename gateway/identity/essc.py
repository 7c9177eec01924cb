"""The e-SSC relying party (DESIGN "Identity"): Authlib's OAuth 2.0 client for the authorization-code
flow, joserfc to check the ID token, and the server-to-server confirmation of the business serial.
Knows nothing of Flask; the web views call :func:`start_flow` and :func:`finish_flow`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.identity.flows import open_flow, spend
from gateway.identity.models import AuthFlow, FlowStatus
from gateway.identity.service import IdentityError, aware, utcnow

WEB_FLOW_TTL = timedelta(minutes=10)
QR_FLOW_TTL = timedelta(minutes=2)  # DESIGN "Identity": the QR expires after 2 minutes
ALGORITHMS = ["RS256"]  # explicit list: never "none", never an HMAC keyed with a public key
REFUSED = "电子社保卡认证未通过，请重新扫码或重试。"


@dataclass(frozen=True)
class EsscConfig:
    base_url: str
    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass(frozen=True)
class EsscHolder:
    """What a verified ID token says about the card holder."""

    id_number: str
    name: str
    region: str
    sign_no: str
    channel: str


def config_from(settings, redirect_uri: str) -> EsscConfig:
    """The relying-party settings: the configured platform, or the sandbox under ``sandbox_url``."""
    return EsscConfig(
        base_url=settings.essc_url or settings.sandbox_url + "/essc",
        client_id=settings.essc_client_id,
        client_secret=settings.essc_client_secret,
        redirect_uri=redirect_uri,
    )


def person_for_holder(session: Session, vault, backoffice, holder: EsscHolder, channel: str):
    """The Person a verified card holder is (created on first sight), with the e-SSC bound. Flushes."""
    from gateway.identity.documents import number_document
    from gateway.identity.models import CredentialKind
    from gateway.identity.service import bind_credential, ensure_person

    record = backoffice.find_person(holder.id_number)
    if record is None or record.name != holder.name:
        raise IdentityError(
            "essc", "未查询到与电子社保卡一致的社会保险登记信息，请到经办窗口核实。", "essc_unknown_holder"
        )
    person = ensure_person(
        session, vault, holder.id_number, holder.name, shown=lambda: number_document(backoffice, holder.id_number)
    )
    bind_credential(session, person, CredentialKind.ESSC, holder.sign_no, channel=channel)
    return person


def _metadata(cfg: EsscConfig) -> dict:
    resp = requests.get(cfg.base_url.rstrip("/") + "/.well-known/openid-configuration", timeout=5)
    resp.raise_for_status()
    return resp.json()


def _client(cfg: EsscConfig) -> OAuth2Session:
    return OAuth2Session(
        cfg.client_id,
        cfg.client_secret,
        redirect_uri=cfg.redirect_uri,
        scope="openid",
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name, not a secret
    )


def start_flow(
    session: Session, cfg: EsscConfig, kind: str, channel: str, poll_token: str | None = None
) -> tuple[AuthFlow, str]:
    """Record a new flow (fresh state and nonce) and return it with the provider's authorization URL."""
    ttl = QR_FLOW_TTL if kind == "qr" else WEB_FLOW_TTL
    flow = open_flow(session, kind, channel, ttl, poll_token=poll_token)
    session.flush()
    extra = {"mode": "qr"} if kind == "qr" else {}
    url, _ = _client(cfg).create_authorization_url(
        _metadata(cfg)["authorization_endpoint"], state=flow.state, nonce=flow.nonce, **extra
    )
    return flow, url


def pending_flow(session: Session, state: str | None = None, poll_token: str | None = None) -> AuthFlow | None:
    """The flow for a state (web) or a terminal's poll token (API), while it is pending and unexpired."""
    if poll_token:
        digest = hashlib.sha256(poll_token.encode()).hexdigest()
        flow = session.scalar(select(AuthFlow).where(AuthFlow.poll_digest == digest))
    else:
        flow = session.scalar(select(AuthFlow).where(AuthFlow.state == (state or "")))
    if flow is None or flow.status is not FlowStatus.PENDING or aware(flow.expires_at) < utcnow():
        return None
    return flow


def poll_qr(cfg: EsscConfig, state: str) -> str | None:
    """The code once the holder approved the QR on the phone, else None (server to server)."""
    resp = requests.get(
        cfg.base_url.rstrip("/") + "/qr/result",
        params={"state": state},
        auth=(cfg.client_id, cfg.client_secret),
        timeout=5,
    )
    resp.raise_for_status()
    data = resp.json()
    return data.get("code") if data.get("status") == "approved" else None


def verify_id_token(id_token: str, jwks: dict, issuer: str, audience: str, nonce: str, now: datetime) -> dict:
    """The claims of a genuine, current ID token for us with the expected nonce; IdentityError otherwise."""
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=ALGORITHMS)
        JWTClaimsRegistry(
            now=int(now.timestamp()),
            leeway=30,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
            aac002={"essential": True},
            aac003={"essential": True},
            busiSeq={"essential": True},
            signNo={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise IdentityError("essc", REFUSED, "essc_token_invalid") from exc
    return token.claims


def finish_flow(session: Session, cfg: EsscConfig, flow: AuthFlow, code: str) -> EsscHolder:
    """Exchange the code, check the ID token, confirm busiSeq, and consume the flow (once)."""
    meta = _metadata(cfg)
    try:
        tokens = _client(cfg).fetch_token(meta["token_endpoint"], grant_type="authorization_code", code=code)
    except Exception as exc:  # Authlib raises OAuthError or requests errors
        raise IdentityError("essc", REFUSED, "essc_code_refused") from exc
    jwks = requests.get(meta["jwks_uri"], timeout=5).json()
    claims = verify_id_token(tokens.get("id_token", ""), jwks, meta["issuer"], cfg.client_id, flow.nonce, utcnow())
    # The nonce is used up with its flow: a second token carrying it is a replay.
    if not spend(session, AuthFlow.id == flow.id):
        raise IdentityError("essc", REFUSED, "essc_replayed")
    confirm = requests.post(
        cfg.base_url.rstrip("/") + "/busi/confirm",
        json={"busiSeq": claims["busiSeq"]},
        auth=(cfg.client_id, cfg.client_secret),
        timeout=5,
    )
    if confirm.status_code != 200:
        raise IdentityError("essc", REFUSED, "essc_busi_seq_refused")
    return EsscHolder(
        id_number=str(claims["aac002"]).upper(),
        name=str(claims["aac003"]),
        region=str(claims.get("aab301", "")),
        sign_no=str(claims["signNo"]),
        channel=str(claims.get("channel", "")),
    )
