"""The per-address login rate limit, in front of the per-account lockout.

Counted in the database (booking.services.access.login_rate), so it holds across gunicorn
workers and nodes. ``LOGIN_RATE_LIMIT`` in the app config, (attempts, window in seconds), sets it.
"""

from __future__ import annotations

from flask import current_app, request

from booking.services.access.login_rate import RateVerdict, register_attempt
from booking.web_support import get_db, now

# At most this many login attempts per address in the window (on top of the account lockout).
LOGIN_RATE_LIMIT = (10, 300.0)


def login_attempt_allowed() -> RateVerdict:
    """Count this request's login attempt against its address."""
    limit, window = current_app.config.get("LOGIN_RATE_LIMIT", LOGIN_RATE_LIMIT)
    return register_attempt(
        get_db(),
        request.remote_addr or "unknown",
        now=now(),
        limit=int(limit),
        window_seconds=float(window),
    )
