"""Rules of "all must reply": who has answered, when reminders are due, when a meeting is confirmed.

Pure: stdlib only. The service feeds it plain values read from the database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.domain.vocabulary import PartStat

ANSWERED: frozenset[str] = frozenset(PartStat) - {PartStat.NEEDS_ACTION}
VALID_PARTSTATS: frozenset[str] = frozenset(PartStat)
CHANNELS = ("caldav", "email", "link", "phone", "web")

# Reminders go out at the start of the working day (local time).
REMINDER_LOCAL_TIME = time(8, 0)


@dataclass(frozen=True)
class AttendeeAnswer:
    department_id: int
    required: bool
    partstat: str


@dataclass(frozen=True)
class ReplyCount:
    replied: int
    total: int

    @property
    def all_replied(self) -> bool:
        return self.replied == self.total

    def label(self) -> str:
        return f"{self.replied} av {self.total} har svarat ({self.replied} of {self.total} replied)"


def reply_count(answers: Iterable[AttendeeAnswer]) -> ReplyCount:
    """ "x of y replied" over the required attendees."""
    required = [a for a in answers if a.required]
    return ReplyCount(sum(a.partstat in ANSWERED for a in required), len(required))


def is_confirmed(required_departments: Collection[int], answers: Iterable[AttendeeAnswer]) -> bool:
    """Every required department has an accepting (required) representative."""
    accepting = {a.department_id for a in answers if a.required and a.partstat == PartStat.ACCEPTED}
    return bool(required_departments) and set(required_departments) <= accepting


def working_days_before(day: date, n: int, closed: Collection[date]) -> date:
    """The date ``n`` working days before ``day`` (weekends and ``closed`` dates skipped)."""
    current = day
    left = n
    while left > 0:
        current -= timedelta(days=1)
        if current.weekday() < 5 and current not in closed:
            left -= 1
    return current


def reminder_time(
    meeting_start: datetime, offset: int, timezone: str, closed: Collection[date]
) -> datetime:
    """When the reminder ``offset`` working days before the meeting is due (aware, local)."""
    zone = ZoneInfo(timezone)
    local_day = meeting_start.astimezone(zone).date()
    day = working_days_before(local_day, offset, closed)
    return datetime.combine(day, REMINDER_LOCAL_TIME, tzinfo=zone)


def due_offsets(
    *,
    now: datetime,
    meeting_start: datetime,
    invited_at: datetime,
    offsets: Iterable[int],
    already_sent: Collection[int],
    timezone: str,
    closed: Collection[date],
) -> list[int]:
    """Offsets whose reminder is due now and not sent yet, largest first.

    An offset whose moment had already passed when the attendee was invited is never due
    (no "5 days before" reminder for a meeting booked 3 days ahead).
    """
    if now >= meeting_start:
        return []
    due = []
    for offset in sorted(set(offsets), reverse=True):
        if offset in already_sent or offset <= 0:
            continue
        at = reminder_time(meeting_start, offset, timezone, closed)
        if invited_at < at <= now:
            due.append(offset)
    return due
