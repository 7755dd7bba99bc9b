"""Administration pages: departments, representatives (absences, deputies), sessions, users,
API tokens; importing the package registers their routes on web_bp."""

from booking.web.views.admin import (
    departments,
    forums,
    representatives,
    sessions,
    tokens,
    users,
)

__all__ = ["departments", "forums", "representatives", "sessions", "tokens", "users"]
