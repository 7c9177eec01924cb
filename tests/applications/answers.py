"""Valid answers to any item's form, built from its declaration in ``forms.yaml`` (for tests that go through
every item)."""

from __future__ import annotations

from datetime import date, timedelta

from gateway.catalog import FieldKind, FormField, ServiceItem, load_forms

#: A UnionPay-style debit card number that passes the Luhn check.
BANK_CARD = "6222020200112233446"
_SAMPLES = {
    FieldKind.PHONE: "13800138000",
    FieldKind.BANK_ACCOUNT: BANK_CARD,
    FieldKind.NUMBER: "1",
    FieldKind.TEXTAREA: "",
}


def _sample(f: FormField, today: date) -> str:
    if f.kind is FieldKind.CHOICE:
        return next(o.value for o in f.options if not o.refusal)
    if f.kind is FieldKind.DATE:
        return (today - timedelta(days=10)).isoformat()
    if f.pattern:
        return "张新名"
    return _SAMPLES.get(f.kind, "测试")


def valid_answers(item: ServiceItem, today: date) -> dict[str, str]:
    """One acceptable answer per field (those a chosen answer makes irrelevant are dropped when checked)."""
    return {f.name: _sample(f, today) for f in load_forms().fields_for(item.id)}
