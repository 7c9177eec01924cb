"""Message templates: loaded from ``notify/templates.yaml``, validated at load, filled in at enqueue time.

A template declares its placeholders with the most characters each may hold. Loading proves that a filled-in
message always fits the SMS limit and every WeChat field limit; queueing checks the actual values. So a
missing or extra placeholder, or an over-long value, is an error before anything is stored — never a
half-filled or truncated message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from notify.kinds import Channel, MessageKind

DEFAULT_PATH = Path(__file__).resolve().parent / "templates.yaml"
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_BRACE = re.compile(r"[{}]")

#: WeChat subscribe-message field types and the characters each accepts (official limits).
WECHAT_FIELD_LIMITS = {
    "thing": 20,
    "number": 32,
    "letter": 32,
    "symbol": 5,
    "character_string": 32,
    "time": 32,
    "date": 32,
    "amount": 32,
    "phone_number": 17,
    "car_number": 8,
    "name": 10,
    "phrase": 5,
}
_WECHAT_KEY = re.compile(r"^([a-z_]+?)(\d+)$")


class TemplateError(ValueError):
    """A template or the values given for it are not usable; the message says why, in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SmsRules:
    """How the SMS provider counts: every character (Chinese or Latin) is one; astral characters two."""

    signature: str
    single_segment_chars: int = 70
    segment_chars: int = 67
    max_segments: int = 3

    @property
    def max_chars(self) -> int:
        return self.segment_chars * self.max_segments if self.max_segments > 1 else self.single_segment_chars


def sms_length(text: str) -> int:
    """Characters as the provider counts them (UCS-2 units: characters beyond the BMP count twice)."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def sms_segments(text: str, rules: SmsRules | None = None) -> int:
    """How many SMS parts ``text`` (signature included) is billed and sent as."""
    rules = rules or load_templates().sms
    n = sms_length(text)
    if n <= rules.single_segment_chars:
        return 1
    return -(-n // rules.segment_chars)


@dataclass(frozen=True)
class WeChatRendering:
    template_id: str
    page: str | None
    data: Mapping[str, str]


@dataclass(frozen=True)
class Template:
    name: str
    kind: MessageKind
    version: int
    params: Mapping[str, int]  # placeholder → most characters
    inbox: Mapping[str, str] | None  # title, body, link
    sms: str | None
    wechat: WeChatRendering | None

    @property
    def channels(self) -> frozenset[Channel]:
        present = {Channel.INBOX: self.inbox, Channel.SMS: self.sms, Channel.WECHAT: self.wechat}
        return frozenset(c for c, v in present.items() if v is not None)


@dataclass(frozen=True)
class Rendered:
    """One message filled in for every channel its template has."""

    template: str
    version: int
    kind: MessageKind
    title: str
    body: str
    link: str | None
    sms_text: str | None  # signature included
    wechat: WeChatRendering | None


@dataclass(frozen=True)
class TemplateSet:
    sms: SmsRules
    templates: Mapping[str, Template]

    def get(self, name: str) -> Template:
        try:
            return self.templates[name]
        except KeyError:
            raise TemplateError(f"没有名为“{name}”的消息模板。") from None

    def render(self, name: str, params: Mapping[str, Any], link: str | None = None) -> Rendered:
        """Fill in template ``name``; raise :class:`TemplateError` for missing, extra or over-long values."""
        tpl = self.get(name)
        given = set(params)
        missing = sorted(set(tpl.params) - given)
        extra = sorted(given - set(tpl.params))
        if missing:
            raise TemplateError(f"消息模板“{name}”缺少参数：{'、'.join(missing)}。")
        if extra:
            raise TemplateError(f"消息模板“{name}”没有这些参数：{'、'.join(extra)}。")
        values: dict[str, str] = {}
        for key, most in tpl.params.items():
            value = params[key]
            if not isinstance(value, str) or not value.strip():
                raise TemplateError(f"消息模板“{name}”的参数“{key}”必须是非空文字。")
            if _BRACE.search(value) or any(ord(ch) < 32 for ch in value):
                raise TemplateError(f"消息模板“{name}”的参数“{key}”含有不允许的字符。")
            if sms_length(value) > most:
                raise TemplateError(f"消息模板“{name}”的参数“{key}”最多{most}个字，实际{sms_length(value)}个字。")
            values[key] = value
        if link is not None and (not link.startswith("/") or link.startswith("//")):
            raise TemplateError("消息链接必须是本站内的地址（以 / 开头）。")

        def fill(text: str) -> str:
            return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)

        inbox = tpl.inbox or {}
        wechat = None
        if tpl.wechat is not None:
            wechat = WeChatRendering(
                tpl.wechat.template_id, tpl.wechat.page, {k: fill(v) for k, v in tpl.wechat.data.items()}
            )
        sms_text = self.sms.signature + fill(tpl.sms) if tpl.sms is not None else None
        title = fill(inbox["title"]) if inbox else (sms_text or "")[:20]
        return Rendered(
            template=tpl.name,
            version=tpl.version,
            kind=tpl.kind,
            title=title,
            body=fill(inbox["body"]) if inbox else (sms_text or ""),
            link=link if link is not None else (fill(inbox["link"]) if inbox.get("link") else None),
            sms_text=sms_text,
            wechat=wechat,
        )


# ------------------------------------------------------------------------------------------------ loading


def _worst_case(text: str, params: Mapping[str, int]) -> int:
    """The longest ``text`` can become once its placeholders are filled."""
    literal = PLACEHOLDER.sub("", text)
    return sms_length(literal) + sum(params.get(m.group(1), 0) for m in PLACEHOLDER.finditer(text))


def _need(cond: bool, where: str, problem: str) -> None:
    if not cond:
        raise TemplateError(f"消息模板文件有误（{where}）：{problem}")


def _placeholders(text: str, where: str) -> set[str]:
    names = set(PLACEHOLDER.findall(text))
    stray = _BRACE.sub("", PLACEHOLDER.sub("", text)) != PLACEHOLDER.sub("", text)
    _need(not stray, where, "花括号只能用于 {参数名} 形式的占位符。")
    return names


def parse_templates(data: Any) -> TemplateSet:
    """Validate the parsed YAML document and build the template set (raises :class:`TemplateError`)."""
    _need(isinstance(data, dict) and set(data) == {"sms", "templates"}, "根", "应只有 sms 和 templates 两项。")
    raw_sms = data["sms"]
    _need(isinstance(raw_sms, dict) and isinstance(raw_sms.get("signature"), str), "sms", "缺少 signature。")
    try:
        sms = SmsRules(
            signature=raw_sms["signature"],
            single_segment_chars=int(raw_sms.get("single_segment_chars", 70)),
            segment_chars=int(raw_sms.get("segment_chars", 67)),
            max_segments=int(raw_sms.get("max_segments", 3)),
        )
    except (TypeError, ValueError):
        raise TemplateError("消息模板文件有误（sms）：长度设置必须是整数。") from None
    _need(0 < sms.segment_chars <= sms.single_segment_chars and sms.max_segments >= 1, "sms", "长度设置不合理。")
    templates: dict[str, Template] = {}
    _need(isinstance(data["templates"], list), "templates", "应是一个列表。")
    for i, raw in enumerate(data["templates"]):
        where = f"templates[{i}]"
        _need(isinstance(raw, dict), where, "应是一个映射。")
        known = {"name", "kind", "version", "params", "inbox", "sms", "wechat"}
        _need(set(raw) <= known, where, f"未知的项：{', '.join(sorted(set(raw) - known))}。")
        name = raw.get("name")
        _need(isinstance(name, str) and bool(re.fullmatch(r"[a-z][a-z0-9_]*", name or "")), where, "name 无效。")
        where = f"模板 {name}"
        _need(name not in templates, where, "名称重复。")
        try:
            kind = MessageKind(raw.get("kind"))
        except ValueError:
            raise TemplateError(f"消息模板文件有误（{where}）：kind 不是已知的消息类别。") from None
        version = raw.get("version")
        _need(isinstance(version, int) and version >= 1, where, "version 应是正整数。")
        raw_params = raw.get("params") or {}
        _need(isinstance(raw_params, dict), where, "params 应是映射。")
        params: dict[str, int] = {}
        for key, spec in raw_params.items():
            _need(bool(PLACEHOLDER.fullmatch("{" + str(key) + "}")), where, f"参数名“{key}”无效。")
            most = spec.get("max") if isinstance(spec, dict) else None
            _need(isinstance(most, int) and most >= 1, where, f"参数“{key}”需要正整数 max。")
            params[key] = most
        used: set[str] = set()

        inbox = raw.get("inbox")
        if inbox is not None:
            _need(
                isinstance(inbox, dict) and {"title", "body"} <= set(inbox) <= {"title", "body", "link"},
                where,
                "inbox 需要 title 和 body（可选 link）。",
            )
            for part, text in inbox.items():
                _need(isinstance(text, str) and bool(text.strip()), where, f"inbox.{part} 不能为空。")
                used |= _placeholders(text, where)
            _need(_worst_case(inbox["title"], params) <= 40, where, "站内信标题填入参数后可能超过40个字。")
        sms_text = raw.get("sms")
        if sms_text is not None:
            _need(isinstance(sms_text, str) and bool(sms_text.strip()), where, "sms 不能为空。")
            used |= _placeholders(sms_text, where)
            longest = sms_length(sms.signature) + _worst_case(sms_text, params)
            _need(
                longest <= sms.max_chars,
                where,
                f"短信填入参数后最长{longest}个字（含签名），超过{sms.max_segments}条共{sms.max_chars}个字的上限。",
            )
        wechat = None
        raw_wx = raw.get("wechat")
        if raw_wx is not None:
            _need(
                isinstance(raw_wx, dict) and isinstance(raw_wx.get("template_id"), str),
                where,
                "wechat 需要 template_id。",
            )
            fields = raw_wx.get("data")
            _need(isinstance(fields, dict) and bool(fields), where, "wechat.data 需要字段映射。")
            for key, text in fields.items():
                m = _WECHAT_KEY.match(str(key))
                _need(bool(m) and m.group(1) in WECHAT_FIELD_LIMITS, where, f"微信字段“{key}”类型未知。")
                _need(isinstance(text, str), where, f"微信字段“{key}”应是文字。")
                used |= _placeholders(text, where)
                limit = WECHAT_FIELD_LIMITS[m.group(1)]
                _need(_worst_case(text, params) <= limit, where, f"微信字段“{key}”可能超过{limit}个字。")
            wechat = WeChatRendering(raw_wx["template_id"], raw_wx.get("page"), dict(fields))
        undeclared = sorted(used - set(params))
        unused = sorted(set(params) - used)
        _need(not undeclared, where, f"占位符未在 params 中声明：{'、'.join(undeclared)}。")
        _need(not unused, where, f"params 中的参数没有被使用：{'、'.join(unused)}。")
        tpl = Template(name, kind, version, params, inbox, sms_text, wechat)
        missing = kind.allowed_channels - tpl.channels
        _need(not missing, where, f"缺少渠道的写法：{'、'.join(sorted(c.value for c in missing))}。")
        templates[name] = tpl
    kinds = {t.kind for t in templates.values()}
    absent = [k.value for k in MessageKind if k not in kinds]
    _need(not absent, "templates", f"这些消息类别没有模板：{', '.join(absent)}。")
    return TemplateSet(sms=sms, templates=templates)


def load_template_file(path: Path | str) -> TemplateSet:
    """Read and validate a template file."""
    with open(path, encoding="utf-8") as fh:
        try:
            data = yaml.safe_load(fh)
        except yaml.YAMLError as exc:
            raise TemplateError(f"消息模板文件不是有效的 YAML：{exc}") from None
    return parse_templates(data)


@lru_cache(maxsize=1)
def load_templates() -> TemplateSet:
    """The product's templates (``notify/templates.yaml``), loaded once."""
    return load_template_file(DEFAULT_PATH)
