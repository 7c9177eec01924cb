"""What every ``/api/v1`` declaration is built from (APIFlask's marshmallow schemas): the error shape, the base
classes of input and output schemas, and input fields that refuse bad input the way the gateway always does —
a machine code and one Chinese message for the person (DESIGN "Public contracts"), raised as :class:`UserError`
so ``gateway.errors`` answers it; never APIFlask's English 422.

Input schemas ignore fields they do not know (a newer client may send more); output schemas list exactly what
the answer carries, so the document and the answer cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from apiflask import Schema
from apiflask.fields import Integer, Nested, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import EXCLUDE, ValidationError

from gateway.problems import UserError

#: Database ids are 32-bit INTEGERs on PostgreSQL: anything larger names nothing (and would overflow the driver).
MAX_ID = 2**31 - 1
INVALID = "invalid_parameter"


def one_of(values: Iterable[Any]) -> OneOf:
    """The allowed values (an enum's values): documented as ``enum``, checked on input."""
    return OneOf([getattr(v, "value", v) for v in values])


class Input(Schema):
    """A request's body or query: unknown fields are ignored, declared ones are checked."""

    class Meta:
        unknown = EXCLUDE


class Output(Schema):
    """An answer: exactly the declared fields (``additionalProperties: false`` in the document)."""


class ErrorBody(Output):
    code = String(required=True, metadata={"examples": ["unknown_item"]})
    message = String(
        required=True,
        metadata={"description": "给用户看的中文提示", "examples": ["没有找到该服务事项，请从服务事项清单中选择。"]},
    )


class Error(Output):
    """Every refusal: ``{"error": {"code", "message"}}`` with the right HTTP status."""

    error = Nested(ErrorBody, required=True)


# ---------------------------------------------------------------- input fields with Chinese refusals


class _Refusing:
    """A field whose every refusal (missing, wrong type, out of range) is ``UserError(code, message, 400)``."""

    def __init__(self, *args: Any, message: str, code: str = INVALID, **kwargs: Any) -> None:
        self.refusal = (code, message)
        super().__init__(*args, **kwargs)

    def make_error(self, key: str, **kwargs: Any) -> UserError:  # marshmallow raises what this returns
        return UserError(*self.refusal, 400)

    def _validate(self, value: Any) -> None:
        try:
            super()._validate(value)  # type: ignore[misc]
        except ValidationError:
            raise self.make_error("validator_failed") from None


class Text(_Refusing, String):
    """A string, trimmed, of ``min_length``..``max_length`` characters after trimming."""

    def __init__(self, *, message: str, min_length: int = 1, max_length: int = 256, **kwargs: Any) -> None:
        super().__init__(message=message, validate=Length(min=min_length, max=max_length), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class Int(_Refusing, Integer):
    """A whole number in ``minimum``..``maximum``: a JSON integer (never a bool, a float or a string) — or, with
    ``digits`` (a query string, where everything is text), plain ASCII digits ("+3", "1_000" or full-width digits
    are refused)."""

    def __init__(
        self, *, message: str, minimum: int = 1, maximum: int = MAX_ID, digits: bool = False, **kwargs: Any
    ) -> None:
        self.digits = digits
        super().__init__(message=message, strict=True, validate=Range(min=minimum, max=maximum), **kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if self.digits and isinstance(value, str):
            if not (value.isascii() and value.isdigit()) or len(value) > 12:
                raise self.make_error("invalid")
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Checked(String):
    """A string the domain itself parses: ``parse`` raises the domain's own refusal (``UserError`` or
    ``gateway.validation.ValidationError``, each with its code and Chinese message), also for a missing value
    when the field is required. The view gets ``parse``'s result, or the string as sent with ``keep_raw``."""

    def __init__(self, parse: Callable[[str | None], Any], *, keep_raw: bool = False, **kwargs: Any) -> None:
        self.parse = parse
        self.keep_raw = keep_raw
        super().__init__(**kwargs)

    def make_error(self, key: str, **kwargs: Any) -> Exception:
        if key in ("required", "null"):
            self.parse(None)  # raises the domain's "please enter …"
        return UserError(INVALID, "请求参数不正确。", 400)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        parsed = self.parse(text)
        return text if self.keep_raw else parsed
