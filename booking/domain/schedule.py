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
    yearly: bool = False  # repeats every year on the same dates

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


def _same_day_in(year: int, day: date) -> date:
    """The day in another year (29 February becomes the 28th)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def expand_pauses(pauses: Iterable[Pause], start: date, end: date) -> list[Pause]:
    """The pauses as dated periods over [start, end]: a yearly pause once for every year it can
    touch (one that spans the new year, such as jul 23 Dec–6 Jan, ends in the next year)."""
    dated: list[Pause] = []
    for pause in pauses:
        if not pause.yearly:
            dated.append(pause)
            continue
        length = pause.end_date - pause.start_date
        for year in range(start.year - 1, end.year + 1):
            first = _same_day_in(year, pause.start_date)
            dated.append(Pause(first, first + length, pause.reason))
    return [p for p in dated if p.end_date >= start and p.start_date <= end]


def overlapping_pause(new: Pause, existing: Iterable[Pause]) -> Pause | None:
    """An existing pause whose dates overlap the new one's, over the years both can touch."""
    span_start = new.start_date - timedelta(days=366)
    span_end = new.end_date + timedelta(days=3 * 366)
    new_dates = expand_pauses([new], span_start, span_end)
    for other in existing:
        for a in expand_pauses([other], span_start, span_end):
            if any(a.start_date <= b.end_date and b.start_date <= a.end_date for b in new_dates):
                return other
    return None


WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")


def series_problems(
    weekday: int,
    anchor: date,
    every_weeks: int,
    start_time: time,
    end_time: time,
    meeting_minutes: int,
    buffer_minutes: int,
) -> dict[str, str]:
    """What is wrong with a series as an administrator typed it: field → reason code
    (the UI words each; booking.web.messages). Empty when the series can be saved."""
    problems: dict[str, str] = {}
    if not 0 <= weekday <= 6:
        problems["weekday"] = "unknown_weekday"
    elif anchor.weekday() != weekday:
        problems["anchor_date"] = "anchor_not_weekday"
    if not 1 <= every_weeks <= 8:
        problems["every_weeks"] = "every_weeks_range"
    if end_time <= start_time:
        problems["end_time"] = "end_before_start"
    if meeting_minutes < 5:
        problems["meeting_minutes"] = "meeting_too_short"
    elif end_time > start_time:
        afternoon = datetime.combine(anchor, end_time) - datetime.combine(anchor, start_time)
        if timedelta(minutes=meeting_minutes) > afternoon:
            problems["meeting_minutes"] = "meeting_longer_than_afternoon"
    if buffer_minutes < 0:
        problems["buffer_minutes"] = "buffer_negative"
    return problems


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
    """The series' sessions in [start, end], none before its anchor (the first afternoon);
    skipped dates carry their reason and no slots."""
    start = max(start, spec.anchor_date)
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
