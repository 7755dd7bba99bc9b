"""JSON API blueprint (/api/v1)."""

from flask import Blueprint

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")

from booking.api import errors, feed_tokens, forums  # noqa: E402,F401  (routes register on import)
