"""A forum's series of afternoons ("varannan tisdag"), with a preview before saving (issue 15).

An administrator gives a weekday, an anchor date on that weekday, every N weeks, the afternoon's
start and end, the meeting length and the buffer. ``preview`` shows the sessions and skipped
dates (holidays, pauses, with their reasons) for the next 18 months without writing anything;
``save_series`` writes the series and regenerates the afternoons, never moving or removing one
that holds a meeting, and says which it left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.schedule import (
    Pause,
    PlannedSession,
    SeriesSpec,
    expand_pauses,
    plan_sessions,
    series_problems,
)
from booking.holiday_calendar import non_working_days
from booking.models import Forum, Meeting, SessionSeries, Slot
from booking.models import Session as ForumSession
from booking.services import audit
from booking.services.errors import Invalid, NotFound
from booking.services.inputs import clean_line
from booking.services.scheduling.sessions import ExtendResult, extend_sessions

PREVIEW_MONTHS = 18


@dataclass
class SeriesData:
    weekday: int  # 0 = Monday ... 1 = Tuesday
    anchor_date: date
    every_weeks: int
    start_time: time
    end_time: time
    meeting_minutes: int = 60
    buffer_minutes: int = 15
    name: str = ""
    active: bool = True
    skip_half_days: bool = True

    def spec(self, timezone: str) -> SeriesSpec:
        return SeriesSpec(
            anchor_date=self.anchor_date,
            interval_days=7 * self.every_weeks,
            start_time=self.start_time,
            end_time=self.end_time,
            meeting_minutes=self.meeting_minutes,
            buffer_minutes=self.buffer_minutes,
            timezone=timezone,
        )


@dataclass
class Preview:
    sessions: list[PlannedSession]
    # Afternoons holding a meeting that the new series would move or drop: left alone.
    booked_left_alone: list[date] = field(default_factory=list)

    @property
    def held(self) -> int:
        return sum(1 for s in self.sessions if not s.skipped)


def data_of(series: SessionSeries) -> SeriesData:
    return SeriesData(
        weekday=series.anchor_date.weekday(),
        anchor_date=series.anchor_date,
        every_weeks=max(1, series.interval_days // 7),
        start_time=series.start_time,
        end_time=series.end_time,
        meeting_minutes=series.meeting_minutes,
        buffer_minutes=series.buffer_minutes,
        name=series.name,
        active=series.active,
        skip_half_days=series.skip_half_days,
    )


def get_series(db: Session, series_id: int) -> SessionSeries:
    series = db.get(SessionSeries, series_id)
    if series is None:
        raise NotFound(f"No series with id {series_id}.", {"series_id": series_id})
    return series


def check(data: SeriesData) -> None:
    """Invalid naming every field to fix (booking.domain.schedule.series_problems)."""
    problems = series_problems(
        data.weekday,
        data.anchor_date,
        data.every_weeks,
        data.start_time,
        data.end_time,
        data.meeting_minutes,
        data.buffer_minutes,
    )
    if problems:
        raise Invalid.fields(problems, "series_invalid")


def preview(
    db: Session,
    forum: Forum,
    data: SeriesData,
    today: date,
    *,
    series_id: int | None = None,
    months: int = PREVIEW_MONTHS,
) -> Preview:
    """The afternoons the series would give from ``today`` on, and the booked afternoons a
    save would leave alone. Writes nothing."""
    check(data)
    end = today + relativedelta(months=months)
    holidays = non_working_days(range(today.year, end.year + 1))
    if not data.skip_half_days:
        holidays = {d: r for d, r in holidays.items() if "halvdag" not in r}
    pauses: list[Pause] = []
    if series_id is not None:
        pauses = [
            Pause(p.start_date, p.end_date, p.reason, p.yearly)
            for p in get_series(db, series_id).pauses
        ]
    plan = plan_sessions(
        data.spec(forum.timezone), today, end, holidays, expand_pauses(pauses, today, end)
    )
    return Preview(plan, _booked_off_plan(db, series_id, plan, today) if series_id else [])


def _booked_off_plan(
    db: Session, series_id: int, plan: list[PlannedSession], today: date
) -> list[date]:
    """Booked afternoons of the series that the plan would move (other times) or drop."""
    held = {p.local_date: (p.starts_at, p.ends_at) for p in plan if not p.skipped}
    rows = db.execute(
        select(ForumSession.local_date, ForumSession.starts_at, ForumSession.ends_at)
        .join(Slot, Slot.session_id == ForumSession.id)
        .join(Meeting, Meeting.slot_id == Slot.id)
        .where(ForumSession.series_id == series_id, ForumSession.local_date >= today)
        .distinct()
    )
    return sorted(day for day, starts, ends in rows if held.get(day) != (starts, ends))


def save_series(
    db: Session,
    forum: Forum,
    series_id: int | None,
    data: SeriesData,
    actor: audit.Actor,
    now: datetime,
    horizon_months: int,
) -> tuple[SessionSeries, ExtendResult]:
    """Create or change a series and regenerate the forum's afternoons. Commits."""
    check(data)
    name = clean_line(data.name.strip()) or f"{forum.name}, var {data.every_weeks}:e vecka"
    series = get_series(db, series_id) if series_id is not None else SessionSeries()
    before = None if series_id is None else _snapshot(series)
    series.forum_id = forum.id
    series.name = name
    series.anchor_date = data.anchor_date
    series.interval_days = 7 * data.every_weeks
    series.start_time, series.end_time = data.start_time, data.end_time
    series.meeting_minutes, series.buffer_minutes = data.meeting_minutes, data.buffer_minutes
    series.active, series.skip_half_days = data.active, data.skip_half_days
    if series_id is None:
        db.add(series)
    db.flush()
    result = extend_sessions(db, forum, now.date(), horizon_months, commit=False)
    audit.record(
        db,
        actor,
        "series",
        series.id,
        "create" if series_id is None else "update",
        before=before,
        after={
            **_snapshot(series),
            "kept_booked": [d.isoformat() for d in result.kept_booked_dates],
        },
        at=now,
    )
    db.commit()
    return series, result


def _snapshot(series: SessionSeries) -> dict[str, object]:
    return {
        "name": series.name,
        "anchor_date": series.anchor_date.isoformat(),
        "interval_days": series.interval_days,
        "start_time": series.start_time.isoformat("minutes"),
        "end_time": series.end_time.isoformat("minutes"),
        "meeting_minutes": series.meeting_minutes,
        "buffer_minutes": series.buffer_minutes,
        "active": series.active,
    }


def next_weekday(today: date, weekday: int) -> date:
    """The first ``weekday`` after ``today`` (an anchor for a new series)."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
