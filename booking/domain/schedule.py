"""Forum sessions from a series: anchor date + N days, local wall-clock times, skipped dates.

"Every other Tuesday" is anchor + 14·k days, never ISO-week parity: ISO years with week 53
(2026, 2032, 2037) would otherwise produce a three-week gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SeriesSpec:
    anchor_date: date
    interval_days: int
    start_time: time
    end_time: time
    meeting_minutes: int
    buffer_minutes: int
    timezone: str = "Europe/Stockholm"

    def __post_init__(self) -> None:
        if self.interval_days < 1:
            raise ValueError("interval_days must be at least 1")
        if self.meeting_minutes < 5:
            raise ValueError("meeting_minutes must be at least 5")
        if self.buffer_minutes < 0:
            raise ValueError("buffer_minutes must not be negative")
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")


@dataclass(frozen=True)
class Pause:
    start_date: date
    end_date: date
    reason: str

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True)
class PlannedSlot:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


@dataclass(frozen=True)
class PlannedSession:
    local_date: date
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    skipped_reason: str | None = None
    slots: tuple[PlannedSlot, ...] = field(default=())

    @property
    def skipped(self) -> bool:
        return self.skipped_reason is not None


def series_dates(spec: SeriesSpec, start: date, end: date) -> list[date]:
    """Every date of the series in [start, end], counted from the anchor in whole intervals."""
    if end < start:
        return []
    offset_days = (start - spec.anchor_date).days
    steps = -(-offset_days // spec.interval_days)  # ceiling division, also for negative offsets
    first = spec.anchor_date + timedelta(days=steps * spec.interval_days)
    dates: list[date] = []
    day = first
    while day <= end:
        dates.append(day)
        day += timedelta(days=spec.interval_days)
    return dates


def local_to_utc(day: date, at: time, timezone: str) -> datetime:
    """A local wall-clock time as UTC (13:00 stays 13:00 local across DST changes)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def slots_for_day(spec: SeriesSpec, day: date) -> tuple[PlannedSlot, ...]:
    """Meetings of ``meeting_minutes`` separated by ``buffer_minutes`` that fit the afternoon."""
    zone = ZoneInfo(spec.timezone)
    cursor = datetime.combine(day, spec.start_time, tzinfo=zone)
    close = datetime.combine(day, spec.end_time, tzinfo=zone)
    length = timedelta(minutes=spec.meeting_minutes)
    step = length + timedelta(minutes=spec.buffer_minutes)
    slots: list[PlannedSlot] = []
    while cursor + length <= close:
        slots.append(PlannedSlot(cursor.astimezone(UTC), (cursor + length).astimezone(UTC)))
        cursor += step
    return tuple(slots)


def skip_reason(day: date, non_working: Mapping[date, str], pauses: Iterable[Pause]) -> str | None:
    """Why a series date is not held, or None when it is held."""
    if day in non_working:
        return non_working[day]
    for pause in pauses:
        if pause.covers(day):
            return pause.reason
    return None


def plan_sessions(
    spec: SeriesSpec,
    start: date,
    end: date,
    non_working: Mapping[date, str],
    pauses: Iterable[Pause] = (),
) -> list[PlannedSession]:
    """The series' sessions in [start, end]; skipped dates carry their reason and no slots."""
    pause_list = list(pauses)
    planned: list[PlannedSession] = []
    for day in series_dates(spec, start, end):
        reason = skip_reason(day, non_working, pause_list)
        planned.append(
            PlannedSession(
                local_date=day,
                starts_at=local_to_utc(day, spec.start_time, spec.timezone),
                ends_at=local_to_utc(day, spec.end_time, spec.timezone),
                skipped_reason=reason,
                slots=() if reason else slots_for_day(spec, day),
            )
        )
    return planned


def add_working_days(start: date, days: int, non_working: Mapping[date, str]) -> date:
    """The date ``days`` working days after ``start`` (weekends and holidays don't count)."""
    day = start
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in non_working:
            remaining -= 1
    return day


def subtract_working_days(start: date, days: int, non_working: Mapping[date, str]) -> date:
    """The date ``days`` working days before ``start``."""
    day = start
    remaining = days
    while remaining > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5 and day not in non_working:
            remaining -= 1
    return day


def iso_week_label(day: date) -> str:
    return f"v. {day.isocalendar().week}"
