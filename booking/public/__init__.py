"""Token-link pages for people without a login: RSVP (/r/<token>), survey, customer's case page.

No url_prefix: the links in mails are short. Every page is found by an unguessable token; a
POST is protected by that token (CSRF-free on purpose: there is no session to ride on).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

public_bp = Blueprint("public", __name__, template_folder="templates")


@public_bp.record_once
def _exempt_from_csrf(state: Any) -> None:
    # If the web UI installs Flask-WTF's CSRFProtect app-wide, token pages are exempt from it.
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(public_bp)


from booking.public import rsvp  # noqa: E402,F401  (routes register on import)
