"""Errors a use case raises; the web layers turn them into 4xx answers with the same message."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """``code``: the kind of error (one per HTTP status). ``reason``: what exactly went wrong,
    a stable snake_case name clients and the web UI can rely on (the message is for people and
    may change; the UI translates by reason, with the values it needs in ``details``)."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, details: dict[str, Any] | None = None, *, reason: str = ""
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.reason = reason or self.code


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Invalid(ServiceError):
    status = 422
    code = "invalid"

    @classmethod
    def fields(cls, problems: dict[str, str], several: str) -> Invalid:
        """Field → reason code for every field to fix; the reason is the one field's own, or
        ``several`` when more than one is wrong (the web pages word each field's)."""
        summary = "; ".join(f"{k}: {v}" for k, v in problems.items())
        reason = next(iter(problems.values())) if len(problems) == 1 else several
        return cls(f"Please correct: {summary}", problems, reason=reason)


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"
