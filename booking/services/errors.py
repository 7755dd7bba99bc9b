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


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"
