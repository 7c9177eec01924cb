"""Anti-forgery codes (电子防伪码, LD/T 01 5.4.2.4): unguessable, typable, self-checking, never stored plain.

A code is one document-kind symbol, 16 random symbols (80 bits, above the 75 asked for) and one check
symbol, all in Crockford's Base32 alphabet (no I, L, O, U: nothing that reads as another character), shown in
three groups of six: ``A3F9K2-7QXM4P-0ZR8WD``.

The check symbol makes the weighted sum of all 18 symbols zero in GF(2^5) (weights are powers of a
primitive element α). A single substituted symbol changes the sum by α^k·(a ⊕ b) ≠ 0 and swapping two
neighbours by α^k·(α ⊕ 1)·(a ⊕ b) ≠ 0, so every single substitution and every adjacent transposition is
caught before any look-up — with the check symbol inside the same 32-symbol alphabet, unlike Crockford's
mod-37 check, which needs the awkward extra symbols ``* ~ $ = U``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
# Crockford decoding: letters people confuse with digits read as those digits.
_ALIASES = {"O": "0", "I": "1", "L": "1"}
RANDOM_SYMBOLS = 16
LENGTH = 1 + RANDOM_SYMBOLS + 1
GROUP = 6
_POLY = 0b100101  # x^5 + x^2 + 1, primitive over GF(2): α = x generates all 31 non-zero elements.


class DocumentKind(StrEnum):
    """The documents a person or unit can download (LD/T 01 5.4.2.2–5.4.2.3); each has its code symbol."""

    PERSON_PROOF = "person_proof"
    CONTRIBUTION_RECORD = "contribution_record"
    BENEFIT_PAYMENTS = "benefit_payments"
    UNIT_PROOF = "unit_proof"
    # 办理凭证类 (LD/T 01 5.4.2.2 a–c): receipts for an application, issued once per application and stage.
    ACCEPTANCE_NOTICE = "acceptance_notice"
    RESULT_NOTICE = "result_notice"
    TRANSFER_VOUCHER = "transfer_voucher"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


_LABELS = {
    DocumentKind.PERSON_PROOF: "个人参保证明",
    DocumentKind.CONTRIBUTION_RECORD: "个人缴费记录",
    DocumentKind.BENEFIT_PAYMENTS: "待遇发放明细",
    DocumentKind.UNIT_PROOF: "单位参保证明",
    DocumentKind.ACCEPTANCE_NOTICE: "受理通知单",
    DocumentKind.RESULT_NOTICE: "结果告知单",
    DocumentKind.TRANSFER_VOUCHER: "参保缴费凭证",
}
_SYMBOLS = {
    DocumentKind.PERSON_PROOF: "A",
    DocumentKind.CONTRIBUTION_RECORD: "B",
    DocumentKind.BENEFIT_PAYMENTS: "C",
    DocumentKind.UNIT_PROOF: "D",
    DocumentKind.ACCEPTANCE_NOTICE: "E",
    DocumentKind.RESULT_NOTICE: "F",
    DocumentKind.TRANSFER_VOUCHER: "G",
}
_KIND_BY_SYMBOL = {s: k for k, s in _SYMBOLS.items()}


class CodeFormatError(ValueError):
    """Not shaped like a code at all (wrong length or characters): tell the person to retype it."""


def _gf_mul(a: int, b: int) -> int:
    result = 0
    while b:
        if b & 1:
            result ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= _POLY
    return result


def _weighted_sum(values: list[int]) -> int:
    # Horner's rule: s = α·s ⊕ v, i.e. Σ α^(n-1-i)·v_i.
    total = 0
    for v in values:
        total = _gf_mul(total, 2) ^ v
    return total


def check_symbol(body: str) -> str:
    """The symbol that, appended to ``body``, makes the weighted sum zero."""
    # α·s ⊕ c = 0  ⇔  c = α·s (characteristic 2).
    return ALPHABET[_gf_mul(_weighted_sum([_VALUE[c] for c in body]), 2)]


def is_consistent(code: str) -> bool:
    """True when the check symbol of a normalised code matches its body."""
    return _weighted_sum([_VALUE[c] for c in code]) == 0


def new_code(kind: DocumentKind) -> str:
    """A fresh normalised code (18 symbols, no separators) for a document of ``kind``."""
    body = kind.symbol + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_SYMBOLS))
    return body + check_symbol(body)


def normalize(raw: str) -> str:
    """Upper-case, drop spaces and hyphens, read O/I/L as 0/1; raise :class:`CodeFormatError` if malformed."""
    text = "".join(ch for ch in (raw or "").upper() if ch not in " -\t\u3000－")
    text = "".join(_ALIASES.get(ch, ch) for ch in text)
    if len(text) != LENGTH or any(ch not in _VALUE for ch in text):
        raise CodeFormatError(text)
    return text


def kind_of(code: str) -> DocumentKind | None:
    """The document kind a normalised code carries, or None for an unknown symbol."""
    return _KIND_BY_SYMBOL.get(code[0])


def display(code: str) -> str:
    """Groups of six separated by hyphens, for print and screen."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def code_hash(key: bytes, code: str) -> str:
    """The keyed hash a code is stored as: without the key a leaked table reveals no code."""
    return hmac.new(key, code.encode("ascii"), hashlib.sha256).hexdigest()
