"""Read API: forums, their sessions and slots, departments."""

from __future__ import annotations

from typing import Any

from dateutil.relativedelta import relativedelta
from flask import request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.api import api_bp
from booking.api.errors import ApiError
from booking.api.params import parse_date
from booking.models import Department, Forum, Session, SessionStatus
from booking.services import sessions as session_service
from booking.services.sessions import local_iso
from booking.web_support import get_db, now

MAX_RANGE_DAYS = 800


def forum_json(forum: Forum) -> dict[str, Any]:
    return {
        "slug": forum.slug,
        "name": forum.name,
        "municipality": forum.municipality,
        "timezone": forum.timezone,
        "location": forum.location,
    }


def session_json(session: Session, tz: str) -> dict[str, Any]:
    return {
        "id": session.id,
        "date": session.local_date.isoformat(),
        "week": session.local_date.isocalendar().week,
        "status": session.status.value,
        "reason": session.reason or None,
        "is_extra": session.is_extra,
        "starts_at": local_iso(session.starts_at, tz),
        "ends_at": local_iso(session.ends_at, tz),
        "slots": [
            {
                "id": slot.id,
                "starts_at": local_iso(slot.starts_at, tz),
                "ends_at": local_iso(slot.ends_at, tz),
                "booked": slot.meeting is not None,
            }
            for slot in session.slots
        ],
    }


@api_bp.get("/forums")
def list_forums() -> dict[str, Any]:
    forums = get_db().scalars(select(Forum).order_by(Forum.name))
    return {"forums": [forum_json(f) for f in forums]}


@api_bp.get("/forums/<slug>/sessions")
def forum_sessions(slug: str) -> dict[str, Any]:
    today = now().date()
    start = parse_date(request.args.get("from"), "from", default=today)
    end = parse_date(request.args.get("to"), "to", default=start + relativedelta(years=1))
    if end < start:
        raise ApiError(
            400,
            "bad_parameter",
            "'to' must not be before 'from'.",
            {"from": start.isoformat(), "to": end.isoformat()},
        )
    if (end - start).days > MAX_RANGE_DAYS:
        raise ApiError(
            400,
            "bad_parameter",
            f"The range may span at most {MAX_RANGE_DAYS} days.",
            {"days": (end - start).days},
        )
    db = get_db()
    forum = session_service.get_forum(db, slug)
    rows = session_service.list_sessions(db, forum, start, end)
    held = [session_json(s, forum.timezone) for s in rows if s.status == SessionStatus.SCHEDULED]
    skipped = [
        {
            "date": s.local_date.isoformat(),
            "week": s.local_date.isocalendar().week,
            "status": s.status.value,
            "reason": s.reason,
        }
        for s in rows
        if s.status != SessionStatus.SCHEDULED
    ]
    return {
        "forum": forum_json(forum),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "sessions": held,
        "skipped": skipped,
    }


@api_bp.get("/departments")
def list_departments() -> dict[str, Any]:
    departments = get_db().scalars(
        select(Department).options(selectinload(Department.forums)).order_by(Department.name)
    )
    return {
        "departments": [
            {
                "id": d.id,
                "slug": d.slug,
                "name": d.name,
                "kind": d.kind,
                "responsibility_areas": d.responsibility_areas,
                "capacity_per_session": d.capacity_per_session,
                "forums": sorted(f.slug for f in d.forums),
            }
            for d in departments
        ]
    }
