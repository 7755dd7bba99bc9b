"""One JSON error envelope for the whole API: {"error": {"code", "reason", "message", "details"}}.

``code`` is the kind of error, ``reason`` what exactly went wrong (stable, for programs; the same
as ``code`` where there is nothing more specific), ``message`` what to fix (for people).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from booking.api import api_bp
from booking.services.errors import ServiceError


class ApiError(Exception):
    """Raised at the edge for request problems (bad query parameter, bad JSON)."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}


def error_document(
    code: str, message: str, details: dict[str, Any] | None = None, reason: str = ""
) -> dict[str, Any]:
    body = {"code": code, "reason": reason or code, "message": message, "details": details or {}}
    return {"error": body}


def document_of(exc: ServiceError | ApiError) -> dict[str, Any]:
    reason = exc.reason if isinstance(exc, ServiceError) else exc.code
    return error_document(exc.code, exc.message, exc.details, reason)


def envelope(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> tuple[Response, int]:
    return jsonify(error_document(code, message, details)), status


@api_bp.errorhandler(ApiError)
@api_bp.errorhandler(ServiceError)
def _known_error(exc: ServiceError | ApiError) -> tuple[Response, int]:
    return jsonify(document_of(exc)), exc.status


@api_bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    status = exc.code or 500
    code = (exc.name or "error").lower().replace(" ", "_")
    return envelope(status, code, exc.description or exc.name)


def install_app_handlers(app: Flask) -> None:
    """Errors raised outside the blueprint (unknown /api/ routes) still get the envelope."""

    def _handle(exc: HTTPException) -> Response | tuple[Response, int] | HTTPException:
        if request.path.startswith(api_bp.url_prefix or "/api/"):
            return _http_error(exc)
        return exc

    app.register_error_handler(HTTPException, _handle)
