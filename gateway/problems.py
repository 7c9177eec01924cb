"""Problems a person can fix or should know about, raised by services that know nothing of Flask."""

from __future__ import annotations


class UserError(Exception):
    """A refusal with a machine code, a Chinese message for the person, and the HTTP status to answer with."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
