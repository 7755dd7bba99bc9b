"""Pause periods of a series (sportlov, påsklov, höstlov, jul, sommar), once or every year.

Adding or removing one regenerates the forum's afternoons at once; an afternoon that holds a
meeting is never skipped by a new pause (it is left alone and named). Two pauses of a series
may not overlap (over every year a yearly one repeats): one reason per skipped date.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from booking.domain.schedule import Pause, overlapping_pause
from booking.models import PausePeriod
from booking.services import audit
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.inputs import clean_line
from booking.services.scheduling.series import get_series
from booking.services.scheduling.sessions import ExtendResult, extend_sessions


def _check(start: date, end: date, reason: str) -> None:
    problems: dict[str, str] = {}
    if not reason.strip():
        problems["reason"] = "required"
    if end < start:
        problems["end_date"] = "end_before_start"
    elif (end - start).days > 180:
        problems["end_date"] = "pause_too_long"
    if problems:
        raise Invalid.fields(problems, "pause_invalid")


def add_pause(
    db: Session,
    series_id: int,
    start: date,
    end: date,
    reason: str,
    yearly: bool,
    actor: audit.Actor,
    now: datetime,
    horizon_months: int,
) -> tuple[PausePeriod, ExtendResult]:
    """Add a pause and regenerate the afternoons. Commits."""
    _check(start, end, reason)
    series = get_series(db, series_id)
    new = Pause(start, end, clean_line(reason.strip()), yearly)
    clash = overlapping_pause(
        new, [Pause(p.start_date, p.end_date, p.reason, p.yearly) for p in series.pauses]
    )
    if clash is not None:
        raise Conflict(
            f"The pause overlaps {clash.reason} ({clash.start_date.isoformat()} – "
            f"{clash.end_date.isoformat()}).",
            {
                "reason": clash.reason,
                "start": clash.start_date.isoformat(),
                "end": clash.end_date.isoformat(),
            },
            reason="pauses_overlap",
        )
    pause = PausePeriod(start_date=start, end_date=end, reason=new.reason, yearly=yearly)
    series.pauses.append(pause)
    db.flush()
    result = extend_sessions(db, series.forum, now.date(), horizon_months, commit=False)
    audit.record(
        db,
        actor,
        "pause",
        pause.id,
        "create",
        after={
            "series_id": series.id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "reason": pause.reason,
            "yearly": yearly,
            "kept_booked": [d.isoformat() for d in result.kept_booked_dates],
        },
        at=now,
    )
    db.commit()
    return pause, result


def remove_pause(
    db: Session, pause_id: int, actor: audit.Actor, now: datetime, horizon_months: int
) -> ExtendResult:
    """Remove a pause; its afternoons are held again. Commits."""
    pause = db.get(PausePeriod, pause_id)
    if pause is None:
        raise NotFound(f"No pause with id {pause_id}.", {"pause_id": pause_id})
    series = pause.series
    before = {
        "series_id": series.id,
        "start": pause.start_date.isoformat(),
        "end": pause.end_date.isoformat(),
        "reason": pause.reason,
        "yearly": pause.yearly,
    }
    series.pauses.remove(pause)
    db.flush()
    result = extend_sessions(db, series.forum, now.date(), horizon_months, commit=False)
    audit.record(db, actor, "pause", pause_id, "delete", before=before, at=now)
    db.commit()
    return result
