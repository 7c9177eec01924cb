"""Anti-forgery codes: shape, entropy, and a check symbol that catches every single slip (property tests)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from esign import codes
from esign.codes import ALPHABET, CodeFormatError, DocumentKind

bodies = st.builds(
    lambda kind, rest: kind.symbol + rest,
    st.sampled_from(list(DocumentKind)),
    st.text(alphabet=ALPHABET, min_size=codes.RANDOM_SYMBOLS, max_size=codes.RANDOM_SYMBOLS),
)


def _code(body: str) -> str:
    return body + codes.check_symbol(body)


@settings(max_examples=400)
@given(bodies, st.data())
def test_every_single_substitution_is_caught(body: str, data):
    code = _code(body)
    assert codes.is_consistent(code)
    pos = data.draw(st.integers(0, len(code) - 1))
    other = data.draw(st.sampled_from([c for c in ALPHABET if c != code[pos]]))
    assert not codes.is_consistent(code[:pos] + other + code[pos + 1 :])


@settings(max_examples=400)
@given(bodies, st.data())
def test_every_adjacent_transposition_is_caught(body: str, data):
    code = _code(body)
    pos = data.draw(st.integers(0, len(code) - 2))
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    if swapped != code:  # swapping two equal symbols changes nothing
        assert not codes.is_consistent(swapped)


def test_exhaustively_on_some_codes():
    """Every position × every other symbol, and every neighbour swap, on a few real codes."""
    for kind in DocumentKind:
        code = codes.new_code(kind)
        for pos in range(len(code)):
            for other in ALPHABET:
                if other != code[pos]:
                    assert not codes.is_consistent(code[:pos] + other + code[pos + 1 :])


def test_new_codes_are_long_random_and_carry_their_kind():
    seen = {codes.new_code(DocumentKind.PERSON_PROOF) for _ in range(2000)}
    assert len(seen) == 2000
    assert codes.RANDOM_SYMBOLS * 5 >= 75  # bits of randomness
    for kind in DocumentKind:
        code = codes.new_code(kind)
        assert len(code) == codes.LENGTH and codes.is_consistent(code)
        assert codes.kind_of(code) is kind


def test_typing_is_forgiving_but_shape_is_checked():
    code = codes.new_code(DocumentKind.CONTRIBUTION_RECORD)
    shown = codes.display(code)
    assert shown.count("-") == 2 and len(shown) == 20
    assert codes.normalize(shown.lower()) == code
    assert codes.normalize(" ".join(shown.split("-"))) == code
    with_o = code.replace("0", "O")
    assert codes.normalize(with_o) == code
    for bad in ("", "ABC", code + "0", code[:-1] + "U", "我" * 18):
        with pytest.raises(CodeFormatError):
            codes.normalize(bad)


def test_stored_hash_is_keyed():
    code = codes.new_code(DocumentKind.PERSON_PROOF)
    assert codes.code_hash(b"k1" * 16, code) != codes.code_hash(b"k2" * 16, code)
    assert code not in codes.code_hash(b"k1" * 16, code)
