"""What an API operation declares beside its schemas, and the APIFlask settings validation runs with: shared by
the operations (``gateway.api.*``) and the document writer (``gateway.api.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

V = TypeVar("V", bound=Callable)
RAW_BODIES = "_shebao_raw_bodies"

#: APIFlask settings of the document, and of validation where the API runs (``init_app`` copies them).
RUNTIME_CONFIG: dict[str, Any] = {
    "VALIDATION_ERROR_STATUS_CODE": 400,
    "VALIDATION_ERROR_DESCRIPTION": "请求参数不正确",
    "BASE_RESPONSE_SCHEMA": None,
    "BASE_RESPONSE_DATA_KEY": "data",
}


def raw_body(media_type: str, description: str) -> Callable[[V], V]:
    """Declare that the operation also takes its body as raw bytes of ``media_type`` (e.g. a PDF)."""

    def declare(view: V) -> V:
        setattr(view, RAW_BODIES, (*getattr(view, RAW_BODIES, ()), (media_type, description)))
        return view

    return declare
