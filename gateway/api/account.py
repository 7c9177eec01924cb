"""``/api/v1/account``: what a person manages of their own account (LD/T 01 6.2.5) from the mini-program or the
kiosk as on the web's ``/account/`` pages — the login log (e, paged), the notification settings (LD/T 01 5.4.4),
the bound login methods and unbinding one (b), and authorised proxies (Regulation Art. 30). The same use cases as
``channels/web/account_manage.py``, ``channels/web/inbox.py``, ``channels/web/auth.py`` (credentials) and
``channels/web/proxies.py``. Logging out is ``POST /api/v1/auth/logout``.

A change of a login factor (unbinding, granting a proxy) ends the person's other sessions and tokens
(``gateway.factors``, ASVS 5.0 7.4.3) — including the token that made the change, which was issued before it. As
the web keeps the session that made the change, the answer then carries a fresh token pair for this channel and
level in ``tokens``; the client replaces its own with it.
"""

from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String
from flask import current_app, request

from gateway import clock
from gateway.access.edge import current_actor
from gateway.access.needs import gate
from gateway.api.auth import AuthTokens
from gateway.api.conventions import Paged, PageQuery
from gateway.api.schemas import Checked, Input, Int, Output, Text, one_of
from gateway.catalog.model import Channel as CatalogChannel
from gateway.channel_policy import Operation, method_label
from gateway.clients import get_backoffice
from gateway.factors import FactorChange, factor_changed
from gateway.identity.models import Credential, Person
from gateway.identity.service import FACTORS_CHANGED, IdentityError, login_history, unbind_credential
from gateway.identity.tokens import issue_tokens
from gateway.problems import UserError
from gateway.proxies import service as proxies
from gateway.request_db import get_session
from gateway.validation import normalize_id_number
from notify.kinds import Channel as NotifyChannel
from notify.kinds import MessageKind
from notify.preferences import PreferenceError, all_preferences, has_wechat, set_channels

bp = APIBlueprint("account", __name__, url_prefix="/account", tag="我的")

CREDENTIAL_LABELS = {
    "password": "密码",
    "essc": "电子社保卡",
    "wechat": "微信",
    "alipay": "支付宝",
    "certificate": "数字证书",
}


def _person_id() -> int:
    person = current_actor().person
    if person is None:  # the gate lets only a logged-in person through
        raise UserError("login_required", "请先登录。", 401)
    return person.person_id


def _channel_label(value: str | None) -> str:
    try:
        return CatalogChannel(value).label
    except ValueError:
        return value or ""


def _fresh_tokens() -> dict | None:
    """This request changed a login factor and came with a bearer token: that token died with the others, so
    the caller gets a new pair at its own level and channel (the web's session is renewed the same way)."""
    db = get_session()
    actor = current_actor()
    if actor.person is None or actor.person.person_id not in db.info.get(FACTORS_CHANGED, set()):
        return None
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    pair = issue_tokens(db, current_app.config["SECRET_KEY"], actor.person.person_id, actor.level, actor.channel.value)
    return {"status": "ok", **pair.as_json()}


# ---------------------------------------------------------------- declarations


class LoginLine(Output):
    at = String(required=True, metadata={"description": "北京时间", "examples": ["2026-11-23T10:00:00"]})
    event = String(required=True, metadata={"examples": ["login_ok"]})
    method = String(required=True, metadata={"examples": ["微信"]})
    channel = String(required=True, metadata={"examples": ["微信小程序"]})
    ip = String(required=True, metadata={"description": "网络地址（已脱敏）", "examples": ["10.1.2.*"]})


class LoginLog(Paged):
    logins = List(Nested(LoginLine), required=True)


class Preference(Output):
    kind = String(required=True, validate=one_of(MessageKind))
    kind_label = String(required=True)
    channels = List(String(validate=one_of(NotifyChannel)), required=True)
    allowed = List(String(validate=one_of(NotifyChannel)), required=True)
    legally_required = Boolean(required=True, metadata={"description": "依法必须告知：至少保留站内信"})


class Preferences(Output):
    wechat_bound = Boolean(required=True, metadata={"description": "已绑定微信（否则微信订阅消息不会发出）"})
    preferences = List(Nested(Preference), required=True)


class PreferenceChoice(Input):
    kind = Checked(lambda v: _kind(v), keep_raw=True, required=True)
    channels = List(String(), required=True)


class PreferencesBody(Input):
    preferences = List(Nested(PreferenceChoice), required=True)


class CredentialOut(Output):
    id = Integer(required=True)
    kind = String(required=True)
    kind_label = String(required=True, metadata={"examples": ["微信"]})
    bound_at = String(required=True, allow_none=True, metadata={"description": "北京时间"})


class Credentials(Output):
    credentials = List(Nested(CredentialOut), required=True)
    tokens = Nested(AuthTokens, allow_none=True, metadata={"description": "解绑后本机的新凭证（旧凭证已失效）"})


class GrantOut(Output):
    id = Integer(required=True)
    name = String(required=True, metadata={"description": "对方姓名（已脱敏）"})
    id_number = String(required=True, metadata={"description": "对方身份证号码（已脱敏）"})
    scope = String(required=True, metadata={"examples": ["预约和取消窗口办理"]})
    valid_until = String(required=True, metadata={"description": "北京时间"})


class Proxies(Output):
    granted = List(Nested(GrantOut), required=True, metadata={"description": "我授权的代办人"})
    acting_for = List(Nested(GrantOut), required=True, metadata={"description": "授权我代办的人"})
    periods = List(Integer(), required=True, metadata={"description": "可选的授权期限（月）"})
    tokens = Nested(AuthTokens, allow_none=True, metadata={"description": "授权后本机的新凭证（旧凭证已失效）"})


class GrantBody(Input):
    proxy_id_number = Checked(normalize_id_number, required=True, metadata={"description": "代办人身份证号码"})
    proxy_name = Text(required=True, max_length=40, message="请填写代办人的姓名。")
    months = Int(required=True, maximum=120, message="请选择授权期限。", metadata={"enum": sorted(proxies.PERIODS)})
    understood = Boolean(
        required=True, metadata={"description": "已了解代办人可以为您预约和取消窗口办理（必须为 true）"}
    )


def _kind(raw: str | None) -> MessageKind:
    try:
        return MessageKind(raw or "")
    except ValueError:
        raise UserError("invalid_kind", "没有这种消息类型。", 400) from None


_PREFERENCES_EXAMPLE = {
    "wechat_bound": True,
    "preferences": [
        {
            "kind": "application_result",
            "kind_label": "办理结果",
            "channels": ["inbox", "wechat"],
            "allowed": ["inbox", "sms", "wechat"],
            "legally_required": True,
        }
    ],
}
_GRANT_EXAMPLE = {
    "id": 12,
    "name": "李*",
    "id_number": "6103**********0021",
    "scope": "预约和取消窗口办理",
    "valid_until": "2027-05-22T10:00",
}
_PROXIES_EXAMPLE = {"granted": [_GRANT_EXAMPLE], "acting_for": [], "periods": [3, 6, 12], "tokens": None}


# ---------------------------------------------------------------- the login log


@bp.get("/logins")
@gate(Operation.ACCOUNT)
@bp.input(PageQuery, location="query")
@bp.output(
    LoginLog,
    description="登录记录，最新的在前（分页）",
    example={
        "page": 1,
        "page_size": 20,
        "pages": 1,
        "total": 1,
        "logins": [
            {
                "at": "2026-11-23T10:00:00",
                "event": "login_ok",
                "method": "微信",
                "channel": "微信小程序",
                "ip": "10.1.2.*",
            }
        ],
    },
)
@bp.doc(
    summary="登录记录（LD/T 01 6.2.5 e）：时间、方式、渠道、网络地址",
    operation_id="listLogins",
    responses={400: "页码不正确"},
)
def logins(query_data: dict):
    db = get_session()
    person = db.get(Person, _person_id())
    page, size = query_data["page"], query_data["page_size"]
    rows, total = login_history(db, person, page, size)
    return {
        "page": page,
        "page_size": size,
        "pages": max(1, -(-total // size)),
        "total": total,
        "logins": [
            {
                "at": clock.api_local(e.created_at, "seconds"),
                "event": e.kind.value,
                "method": method_label(e.method),
                "channel": _channel_label(e.channel),
                "ip": e.ip_masked or "",
            }
            for e in rows
        ],
    }


# ---------------------------------------------------------------- notification settings


def _preferences_json(person_id: int) -> dict:
    db = get_session()
    return {
        "wechat_bound": has_wechat(db, person_id),
        "preferences": [
            {
                "kind": kind.value,
                "kind_label": kind.label,
                "channels": sorted(c.value for c in chosen),
                "allowed": sorted(c.value for c in kind.allowed_channels),
                "legally_required": kind.legally_required,
            }
            for kind, chosen in all_preferences(db, person_id).items()
        ],
    }


@bp.get("/notifications")
@gate(Operation.ACCOUNT)
@bp.output(Preferences, description="每类消息的接收渠道", example=_PREFERENCES_EXAMPLE)
@bp.doc(summary="消息接收设置（LD/T 01 5.4.4）", operation_id="getNotificationSettings")
def notifications():
    return _preferences_json(_person_id())


@bp.post("/notifications")
@gate(Operation.ACCOUNT)
@bp.input(PreferencesBody, example={"preferences": [{"kind": "application_result", "channels": ["inbox", "wechat"]}]})
@bp.output(Preferences, description="已保存", example=_PREFERENCES_EXAMPLE)
@bp.doc(
    summary="更改消息接收渠道（依法必须告知的消息至少保留站内信）",
    operation_id="setNotificationSettings",
    responses={400: "消息类型或渠道不正确，或不能这样设置"},
)
def set_notifications(json_data: dict):
    person_id = _person_id()
    db = get_session()
    for choice in json_data["preferences"]:
        kind = _kind(choice["kind"])
        chosen = set()
        for value in choice["channels"]:
            if value not in NotifyChannel._value2member_map_:
                raise UserError("invalid_channel", "消息渠道只能是站内信（inbox）、短信（sms）或微信（wechat）。", 400)
            chosen.add(NotifyChannel(value))
        try:
            set_channels(db, person_id, kind, chosen)
        except PreferenceError as exc:
            raise UserError("invalid_preference", exc.message, 400) from None
    return _preferences_json(person_id)


# ---------------------------------------------------------------- login methods


def _credentials_json(person_id: int) -> list[dict]:
    person = get_session().get(Person, person_id)
    return [
        {
            "id": c.id,
            "kind": c.kind.value,
            "kind_label": CREDENTIAL_LABELS.get(c.kind.value, "其他方式"),
            "bound_at": clock.api_local(c.created_at, "minutes") if c.created_at else None,
        }
        for c in sorted(person.credentials, key=lambda c: c.id)
    ]


@bp.get("/credentials")
@gate(Operation.ACCOUNT)
@bp.output(
    Credentials,
    description="已绑定的登录方式",
    example={
        "credentials": [
            {"id": 3, "kind": "password", "kind_label": "密码", "bound_at": "2026-01-05T09:00"},
            {"id": 9, "kind": "wechat", "kind_label": "微信", "bound_at": "2026-11-20T18:12"},
        ],
        "tokens": None,
    },
)
@bp.doc(summary="已绑定的登录方式（LD/T 01 6.2.5 b）", operation_id="listCredentials")
def credentials():
    return {"credentials": _credentials_json(_person_id()), "tokens": None}


@bp.delete("/credentials/<int:credential_id>")
@gate(Operation.ACCOUNT, level=2)
@bp.output(
    Credentials,
    description="已解绑；其他设备上的登录已退出，本机换用 tokens 中的新凭证",
    example={
        "credentials": [{"id": 3, "kind": "password", "kind_label": "密码", "bound_at": "2026-01-05T09:00"}],
        "tokens": {
            "status": "ok",
            "access_token": "eyJ…",
            "token_type": "Bearer",
            "expires_in": 1800,
            "refresh_token": "r1…",
            "assurance_level": 2,
        },
    },
)
@bp.doc(
    summary="解除绑定一种登录方式（需安全级别 2；唯一的登录方式不能解除）",
    operation_id="unbindCredential",
    responses={404: "没有该登录方式", 409: "这是唯一的登录方式"},
)
def unbind(credential_id: int):
    db = get_session()
    person_id = _person_id()
    person = db.get(Person, person_id)
    found = db.get(Credential, credential_id) if credential_id < 2**31 else None
    if found is None or found.person_id != person_id:
        raise UserError("unknown_credential", "没有找到该登录方式。", 404)
    try:
        unbind_credential(db, person, credential_id, channel=current_actor().channel.value)
    except IdentityError as exc:
        raise UserError(exc.code, exc.message, 409) from None
    factor_changed(db, person_id, FactorChange.UNBOUND, channel=current_actor().channel.value)
    return {"credentials": _credentials_json(person_id), "tokens": _fresh_tokens()}


# ---------------------------------------------------------------- authorised proxies


def _grant_json(view: proxies.GrantView) -> dict:
    return {
        "id": view.id,
        "name": view.other_masked_name,
        "id_number": view.other_masked_id,
        "scope": view.grant.scope.label,
        "valid_until": clock.api_local(view.grant.valid_until, "minutes"),
    }


def _proxies_json(person_id: int) -> dict:
    db, vault, now = get_session(), current_app.extensions["shebao_vault"], clock.now()
    return {
        "granted": [_grant_json(v) for v in proxies.my_proxies(db, vault, person_id, now)],
        "acting_for": [_grant_json(v) for v in proxies.acting_for(db, vault, person_id, now)],
        "periods": sorted(proxies.PERIODS),
        "tokens": None,
    }


@bp.get("/proxies")
@gate(Operation.ACCOUNT)
@bp.output(Proxies, description="我授权的代办人和授权我代办的人", example=_PROXIES_EXAMPLE)
@bp.doc(summary="授权代办（条例第三十条）：双方的有效授权", operation_id="listProxies")
def proxy_list():
    return _proxies_json(_person_id())


@bp.post("/proxies")
@gate(Operation.ACCOUNT, level=2)  # giving someone power to act for you needs more than a password
@bp.input(
    GrantBody,
    example={"proxy_id_number": "610302195001010021", "proxy_name": "李四", "months": 6, "understood": True},
)
@bp.output(Proxies, status_code=201, description="已授权", example=_PROXIES_EXAMPLE)
@bp.doc(
    summary="授权亲属或照护人代为预约和取消窗口办理（需安全级别 2）",
    operation_id="grantProxy",
    responses={400: "填写不正确", 404: "没有找到该代办人", 409: "已授权过或授权人数已满"},
)
def proxy_grant(json_data: dict):
    if json_data["understood"] is not True:
        raise UserError("not_understood", "请确认您已了解代办人可以为您预约和取消窗口办理。", 400)
    if json_data["months"] not in proxies.PERIODS:
        raise UserError("bad_period", "请选择授权期限。", 400)
    person_id = _person_id()
    proxies.grant(
        get_session(),
        current_app.extensions["shebao_vault"],
        get_backoffice(),
        grantor_id=person_id,
        proxy_id_number=json_data["proxy_id_number"],
        proxy_name=json_data["proxy_name"],
        months=json_data["months"],
        now=clock.now(),
    )
    return {**_proxies_json(person_id), "tokens": _fresh_tokens()}


@bp.post("/proxies/<int:grant_id>/revoke")
@gate(Operation.ACCOUNT)
@bp.output(Proxies, description="已解除", example={**_PROXIES_EXAMPLE, "granted": []})
@bp.doc(summary="解除代办授权（授权人和代办人都可以解除）", operation_id="revokeProxy", responses={404: "没有该授权"})
def proxy_revoke(grant_id: int):
    person_id = _person_id()
    if grant_id >= 2**31:
        raise UserError("not_found", "没有找到该授权。", 404)
    proxies.revoke(get_session(), grant_id=grant_id, person_id=person_id, now=clock.now())
    return _proxies_json(person_id)
