"""JSON API blueprint (/api/v1)."""

from flask import Blueprint

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")

from booking.api import errors, forums, guard  # noqa: E402,F401  (routes register on import)

# isort: split
from booking.api import auth, cases, openapi  # noqa: E402,F401  (cases and booking, issue 3)

# isort: split
from booking.api import (  # noqa: E402,F401  (follow-through, issue 7)
    feed_tokens,
    followup,
    statistics,
)

# isort: split
from booking.api import tokens  # noqa: E402,F401  (API tokens: list and revoke, issue 11)

# isort: split
from booking.api import forum_setup  # noqa: E402,F401  (forum setup, issue 15)
