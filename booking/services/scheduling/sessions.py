"""Materialise forum sessions from their series; cancel one, add an extra one.

Regeneration is idempotent: it inserts what is missing, updates what changed, and never
touches a session that holds a meeting, a cancelled session or an extra one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import exists, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import selectinload

from booking.domain.schedule import (
    Pause,
    PlannedSession,
    SeriesSpec,
    expand_pauses,
    local_to_utc,
    plan_sessions,
    slots_for_day,
)
from booking.domain.vocabulary import SessionStatus
from booking.holiday_calendar import non_working_days
from booking.models import Forum, Meeting, Session, SessionSeries, Slot
from booking.services import audit
from booking.services.errors import Conflict, Invalid, NotFound


@dataclass
class ExtendResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_booked: int = 0
    skipped_dates: list[date] = field(default_factory=list)
    # Sessions holding a meeting that the series would move or drop: left as they are.
    kept_booked_dates: list[date] = field(default_factory=list)
    removed: int = 0


def spec_of(series: SessionSeries, timezone: str) -> SeriesSpec:
    return SeriesSpec(
        anchor_date=series.anchor_date,
        interval_days=series.interval_days,
        start_time=series.start_time,
        end_time=series.end_time,
        meeting_minutes=series.meeting_minutes,
        buffer_minutes=series.buffer_minutes,
        timezone=timezone,
    )


def _has_meetings(db: DbSession, session: Session) -> bool:
    return bool(
        db.scalar(select(exists().where(Meeting.slot_id == Slot.id, Slot.session_id == session.id)))
    )


def _matches(session: Session, planned: PlannedSession) -> bool:
    status = SessionStatus.SKIPPED if planned.skipped else SessionStatus.SCHEDULED
    slot_times = [(s.starts_at, s.ends_at) for s in session.slots]
    return (
        session.status == status
        and session.reason == (planned.skipped_reason or "")
        and session.starts_at == planned.starts_at
        and session.ends_at == planned.ends_at
        and slot_times == [(s.starts_at, s.ends_at) for s in planned.slots]
    )


def _apply(session: Session, planned: PlannedSession) -> None:
    session.status = SessionStatus.SKIPPED if planned.skipped else SessionStatus.SCHEDULED
    session.reason = planned.skipped_reason or ""
    session.starts_at = planned.starts_at
    session.ends_at = planned.ends_at
    session.slots.clear()
    session.slots.extend(Slot(starts_at=s.starts_at, ends_at=s.ends_at) for s in planned.slots)


def extend_sessions(
    db: DbSession, forum: Forum, today: date, horizon_months: int, *, commit: bool = True
) -> ExtendResult:
    """Make the forum's sessions from ``today`` to the horizon match its series."""
    end = today + relativedelta(months=horizon_months)
    holidays = non_working_days(range(today.year, end.year + 1))
    existing = {
        s.local_date: s
        for s in db.scalars(
            select(Session)
            .where(Session.forum_id == forum.id, Session.local_date >= today)
            .options(selectinload(Session.slots))
        )
    }
    result = ExtendResult()
    series_list = db.scalars(
        select(SessionSeries)
        .where(SessionSeries.forum_id == forum.id, SessionSeries.active.is_(True))
        .options(selectinload(SessionSeries.pauses))
    )
    for series in series_list:
        halfdays = (
            holidays
            if series.skip_half_days
            else {d: r for d, r in holidays.items() if "halvdag" not in r}
        )
        pauses = expand_pauses(
            [Pause(p.start_date, p.end_date, p.reason, p.yearly) for p in series.pauses],
            today,
            end,
        )
        plan = plan_sessions(spec_of(series, forum.timezone), today, end, halfdays, pauses)
        _retire_off_plan(db, series, {p.local_date for p in plan}, existing, result)
        for planned in plan:
            if planned.skipped:
                result.skipped_dates.append(planned.local_date)
            current = existing.get(planned.local_date)
            if current is None:
                session = Session(
                    forum_id=forum.id, series_id=series.id, local_date=planned.local_date
                )
                _apply(session, planned)
                db.add(session)
                existing[planned.local_date] = session
                result.created += 1
            elif (
                current.is_extra
                or current.status == SessionStatus.CANCELLED
                or _matches(current, planned)
            ):
                result.unchanged += 1
            elif _has_meetings(db, current):
                result.kept_booked += 1
                result.kept_booked_dates.append(current.local_date)
            else:
                _apply(current, planned)
                result.updated += 1
    if commit:
        db.commit()
    return result


def _retire_off_plan(
    db: DbSession,
    series: SessionSeries,
    planned_dates: set[date],
    existing: dict[date, Session],
    result: ExtendResult,
) -> None:
    """Sessions of the series on dates it no longer has (its weekday or interval changed):
    removed when empty, left alone (and reported) when they hold a meeting."""
    for day, session in list(existing.items()):
        if session.series_id != series.id or session.is_extra or day in planned_dates:
            continue
        if session.status == SessionStatus.CANCELLED:
            continue
        if _has_meetings(db, session):
            result.kept_booked += 1
            result.kept_booked_dates.append(day)
            continue
        db.delete(session)
        del existing[day]
        result.removed += 1


def get_forum(db: DbSession, slug: str) -> Forum:
    forum = db.scalar(select(Forum).where(Forum.slug == slug))
    if forum is None:
        raise NotFound(f"No forum with slug {slug!r}.", {"forum": slug})
    return forum


def list_sessions(db: DbSession, forum: Forum, start: date, end: date) -> list[Session]:
    return list(
        db.scalars(
            select(Session)
            .where(
                Session.forum_id == forum.id,
                Session.local_date >= start,
                Session.local_date <= end,
            )
            .options(selectinload(Session.slots).selectinload(Slot.meeting))
            .order_by(Session.local_date)
        )
    )


def cancel_session(db: DbSession, session_id: int, reason: str, actor: audit.Actor) -> Session:
    """Cancel one forum afternoon. A session that holds meetings must be emptied first."""
    if not reason.strip():
        raise Invalid(
            "A reason is required to cancel a session.",
            {"reason": "required"},
            reason="cancel_reason_required",
        )
    session = db.get(Session, session_id)
    if session is None:
        raise NotFound(f"No session with id {session_id}.")
    if _has_meetings(db, session):
        raise Conflict(
            "The session holds booked meetings; reschedule or cancel them first.",
            {"session": session_id},
            reason="session_has_meetings",
        )
    before = {"status": session.status, "reason": session.reason}
    session.status = SessionStatus.CANCELLED
    session.reason = reason.strip()
    session.slots.clear()
    audit.record(
        db,
        actor,
        "session",
        session.id,
        "cancel",
        before=before,
        after={"status": session.status, "reason": session.reason},
    )
    db.commit()
    return session


def add_extra_session(
    db: DbSession,
    forum: Forum,
    day: date,
    actor: audit.Actor,
    *,
    start_time: time = time(13, 0),
    end_time: time = time(17, 0),
    meeting_minutes: int = 60,
    buffer_minutes: int = 15,
    today: date | None = None,
) -> Session:
    """Add a forum afternoon outside the series (or reopen a skipped/cancelled date)."""
    if today is not None and day < today:
        raise Invalid(
            "An extra session cannot be in the past.",
            {"date": day.isoformat()},
            reason="extra_session_in_past",
        )
    try:
        spec = SeriesSpec(
            day, 14, start_time, end_time, meeting_minutes, buffer_minutes, forum.timezone
        )
    except ValueError as exc:
        raise Invalid(str(exc)) from exc
    session = db.scalar(
        select(Session).where(Session.forum_id == forum.id, Session.local_date == day)
    )
    if session is not None and session.status == SessionStatus.SCHEDULED:
        raise Conflict(
            f"There is already a session on {day.isoformat()}.",
            {"session": session.id, "date": day.isoformat()},
            reason="session_exists",
        )
    if session is None:
        session = Session(forum_id=forum.id, local_date=day)
        db.add(session)
    session.series_id = None
    session.is_extra = True
    session.status = SessionStatus.SCHEDULED
    session.reason = ""
    session.starts_at = local_to_utc(day, start_time, forum.timezone)
    session.ends_at = local_to_utc(day, end_time, forum.timezone)
    session.slots.clear()
    session.slots.extend(
        Slot(starts_at=s.starts_at, ends_at=s.ends_at) for s in slots_for_day(spec, day)
    )
    db.flush()
    audit.record(
        db,
        actor,
        "session",
        session.id,
        "add_extra",
        after={"date": day, "slots": len(session.slots)},
    )
    db.commit()
    return session


def local_iso(at: datetime, timezone: str) -> str:
    """ISO 8601 local time with its offset, e.g. 2027-03-30T13:00:00+02:00."""
    return at.astimezone(ZoneInfo(timezone)).isoformat()
