"""Views by area; importing the modules registers their routes on web_bp."""

from __future__ import annotations


def register() -> None:
    from booking.web.views import account, admin, cases, followup, me, overview, sso  # noqa: F401
