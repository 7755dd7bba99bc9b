"""One JSON error envelope for the whole API: {"error": {"code", "message", "details"}}."""

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


def envelope(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> tuple[Response, int]:
    return jsonify({"error": {"code": code, "message": message, "details": details or {}}}), status


@api_bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> tuple[Response, int]:
    return envelope(exc.status, exc.code, exc.message, exc.details)


@api_bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> tuple[Response, int]:
    return envelope(exc.status, exc.code, exc.message, exc.details)


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
