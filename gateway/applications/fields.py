"""Checking the answers of step 1 against what the item declares (``gateway/catalog/forms.yaml``), and showing
them: one clear Chinese message per field, every problem at once (GB/T 31621 6.2.1.3), personal answers masked
where staff see them (Regulation Art. 49). No Flask here; the web page, the API and the tests call the same code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from stdnum import luhn

from gateway.catalog.forms import FieldKind, FormField
from gateway.validation import ValidationError, mask_name, mask_phone, normalize_phone

__all__ = ["clean", "display_value", "masked_value"]

_DIGITS = re.compile(r"[\s-]")


def _verb(f: FormField) -> str:
    return "选择" if f.kind in (FieldKind.CHOICE, FieldKind.DATE) else "填写"


def _date(f: FormField, text: str, today: date) -> tuple[str | None, str | None]:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None, f"{f.label}不是有效的日期，请按“年-月-日”填写，例如：{today.year}-03-15。"
    if f.past_only and day > today:
        return None, f"{f.label}不能晚于今天（{today.year}年{today.month}月{today.day}日）。"
    if f.max_days_ago is not None and day < today - timedelta(days=f.max_days_ago):
        earliest = today - timedelta(days=f.max_days_ago)
        return None, f"{f.label}不能早于{earliest.year}年{earliest.month}月{earliest.day}日，请核对。"
    return day.isoformat(), None


def _number(f: FormField, text: str) -> tuple[str | None, str | None]:
    try:
        value = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None, f"{f.label}请填写数字。"
    if not value.is_finite():
        return None, f"{f.label}请填写数字。"
    if f.minimum is not None and value < Decimal(str(f.minimum)):
        return None, f"{f.label}不能小于{f.minimum}。"
    if f.maximum is not None and value > Decimal(str(f.maximum)):
        return None, f"{f.label}不能大于{f.maximum}。"
    return format(value.normalize(), "f"), None


def _bank_account(f: FormField, text: str) -> tuple[str | None, str | None]:
    digits = _DIGITS.sub("", text)
    if not digits.isdigit() or not 16 <= len(digits) <= 19:
        return None, f"{f.label}应为16至19位数字，请对照银行卡核对。"
    if not luhn.is_valid(digits):
        return None, f"{f.label}校验不通过，可能有数字输错，请对照银行卡逐位核对。"
    return digits, None


def _one(f: FormField, text: str, today: date) -> tuple[str | None, str | None]:
    """The stored form of one non-empty answer, or the message saying what is wrong with it."""
    if f.kind is FieldKind.CHOICE:
        option = next((o for o in f.options if o.value == text), None)
        if option is None:
            return None, f"请从列表中选择{f.label}。"
        if option.refusal:
            return None, option.refusal
        return text, None
    if len(text) > f.max_length:
        return None, f"{f.label}最多{f.max_length}个字，您填写了{len(text)}个字。"
    if f.kind is FieldKind.DATE:
        return _date(f, text, today)
    if f.kind is FieldKind.NUMBER:
        return _number(f, text)
    if f.kind is FieldKind.PHONE:
        try:
            return normalize_phone(text), None
        except ValidationError as exc:
            return None, f"{f.label}：{exc.message}" if not exc.message.startswith(f.label) else exc.message
    if f.kind is FieldKind.BANK_ACCOUNT:
        return _bank_account(f, text)
    if f.pattern and not re.fullmatch(f.pattern, text):
        return None, f.pattern_message
    return text, None


def clean(
    fields: Sequence[FormField], raw: Mapping[str, object], today: date
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The answers as stored (trimmed, normalised) and every problem as (field name, message), in form order.
    A value that is not text (a JSON number, a list) is a problem of that field, never a crash."""
    values: dict[str, str] = {}
    errors: list[tuple[str, str]] = []
    given: dict[str, str] = {}
    for f in fields:
        value = raw.get(f.name)
        if value is None:
            value = ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            errors.append((f.name, f"{f.label}的格式不正确，请重新{_verb(f)}。"))
            continue
        text = str(value).strip()
        if f.kind is not FieldKind.TEXTAREA:
            text = " ".join(text.split())
        given[f.name] = text
    failed = {name for name, _ in errors}
    for f in fields:
        if f.name in failed:
            continue
        text = given.get(f.name, "")
        needed = f.required
        if f.required_when is not None:
            other, answer = f.required_when
            needed = given.get(other) == answer
            if not needed:
                continue  # an answer to a question that does not apply is not kept
        if not text:
            if needed:
                errors.append((f.name, f"请{_verb(f)}{f.label}。"))
            continue
        stored, problem = _one(f, text, today)
        if problem is not None:
            errors.append((f.name, problem))
        elif stored is not None:
            values[f.name] = stored
    order = {f.name: n for n, f in enumerate(fields)}
    errors.sort(key=lambda e: order.get(e[0], len(order)))
    return values, errors


def display_value(f: FormField, value: str) -> str:
    """An answer as a person reads it: a choice by its label, a date in Chinese."""
    if f.kind is FieldKind.CHOICE:
        return dict(f.choices).get(value, value)
    if f.kind is FieldKind.DATE:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return value
        return f"{day.year}年{day.month}月{day.day}日"
    return value


def masked_value(f: FormField, value: str) -> str:
    """An answer as staff see it on a console: personal data masked (Regulation Art. 49)."""
    shown = display_value(f, value)
    if not f.personal and f.kind is not FieldKind.PHONE:
        return shown
    if f.kind is FieldKind.PHONE:
        return mask_phone(value)
    if f.kind is FieldKind.BANK_ACCOUNT:
        return f"{value[:4]} **** **** {value[-4:]}" if len(value) > 8 else "****"
    if f.name.endswith("name"):
        return mask_name(value)
    keep = min(6, max(1, len(shown) // 3))
    return shown[:keep] + "*" * min(8, len(shown) - keep)
