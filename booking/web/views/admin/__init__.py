"""Administration pages: departments, representatives (absences, deputies), sessions, users,
API tokens, single sign-on rules; importing the package registers their routes on web_bp."""

from booking.web.views.admin import (
    audit,
    departments,
    feeds,
    forums,
    guides,
    representatives,
    routing,
    sessions,
    sso,
    tokens,
    users,
)

__all__ = [
    "audit",
    "departments",
    "feeds",
    "forums",
    "guides",
    "representatives",
    "routing",
    "sessions",
    "sso",
    "tokens",
    "users",
]
