"""The follow-through pages (issue 7): minutes, the agreed timeline, term statistics; importing
the package registers their routes and the Swedish date/number filters on web_bp."""

from booking.web.views.followup import common, minutes, statistics, timeline

__all__ = ["common", "minutes", "statistics", "timeline"]
