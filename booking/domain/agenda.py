"""When a forum afternoon's agenda (dagordning) goes out: N Swedish working days before it.

Pure: the caller passes the non-working days (booking.holiday_calendar) and today's local date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from booking.domain.schedule import subtract_working_days


def agenda_day(session_date: date, working_days: int, non_working: Mapping[date, str]) -> date:
    """The day the agenda of the afternoon on ``session_date`` is due: ``working_days``
    working days before it (weekends and ``non_working`` days are not counted; 0: the day
    itself)."""
    return subtract_working_days(session_date, max(working_days, 0), non_working)


def agenda_due(
    today: date, session_date: date, working_days: int, non_working: Mapping[date, str]
) -> bool:
    """Is the agenda due on ``today``? From its day on (a worker that was down catches up)
    until the afternoon itself; never for an afternoon that has passed."""
    return agenda_day(session_date, working_days, non_working) <= today <= session_date
