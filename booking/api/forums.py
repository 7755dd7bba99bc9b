"""Read API: forums, their sessions and slots, departments (public: no credentials needed)."""

from __future__ import annotations

from typing import Any

from dateutil.relativedelta import relativedelta
from flask import request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking.api.errors import ApiError
from booking.api.operations import operation
from booking.api.params import parse_date
from booking.domain.vocabulary import SessionStatus
from booking.models import Department, Forum, Session
from booking.services.inputs import Day
from booking.services.scheduling import sessions as session_service
from booking.services.scheduling.sessions import local_iso
from booking.web_support import get_db, now

MAX_RANGE_DAYS = 800
SLUG: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 64}
LOCAL_TIME = "Local time with its UTC offset (ISO 8601), e.g. 2026-12-08T13:00:00+01:00."


class ForumOut(BaseModel):
    slug: str
    name: str
    municipality: str
    timezone: str
    location: str


class ForumListOut(BaseModel):
    forums: list[ForumOut]


class SlotOut(BaseModel):
    id: int
    starts_at: str = Field(description=LOCAL_TIME)
    ends_at: str = Field(description=LOCAL_TIME)
    booked: bool


class SessionOut(BaseModel):
    id: int
    date: str = Field(description="Local date, YYYY-MM-DD.")
    week: int
    status: SessionStatus
    reason: str | None
    is_extra: bool
    starts_at: str = Field(description=LOCAL_TIME)
    ends_at: str = Field(description=LOCAL_TIME)
    slots: list[SlotOut]


class SkippedSessionOut(BaseModel):
    date: str = Field(description="Local date, YYYY-MM-DD.")
    week: int
    status: SessionStatus
    reason: str = Field(description="Why there is no session: a holiday, a pause, cancelled.")


class ForumSessionsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    forum: ForumOut
    from_: str = Field(alias="from", description="First day, YYYY-MM-DD.")
    to: str = Field(description="Last day, YYYY-MM-DD.")
    sessions: list[SessionOut]
    skipped: list[SkippedSessionOut]


class SessionsQuery(BaseModel):
    """Read by the view (400 bad_parameter with what to fix); here for the document."""

    from_: Day | None = Field(default=None, alias="from", description="First day; default today.")
    to: Day | None = Field(
        default=None,
        description=f"Last day; default a year after 'from'; at most {MAX_RANGE_DAYS} days on.",
    )


class DepartmentOut(BaseModel):
    id: int
    slug: str
    name: str
    kind: str
    responsibility_areas: list[str]
    capacity_per_session: int
    forums: list[str] = Field(description="Slugs of the forums the department serves.")


class DepartmentListOut(BaseModel):
    departments: list[DepartmentOut]


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


@operation(
    "GET",
    "/forums",
    summary="Every forum",
    response=ForumListOut,
    access="public",
    tag="forums",
)
def list_forums() -> ForumListOut:
    forums = get_db().scalars(select(Forum).order_by(Forum.name))
    return ForumListOut.model_validate({"forums": [forum_json(f) for f in forums]})


@operation(
    "GET",
    "/forums/{slug}/sessions",
    summary="A forum's sessions and slots in a date range, and the dates it skips and why",
    response=ForumSessionsOut,
    query=SessionsQuery,
    parse=False,
    access="public",
    tag="forums",
    path_schemas={"slug": SLUG},
)
def forum_sessions(slug: str) -> ForumSessionsOut:
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
    return ForumSessionsOut.model_validate(
        {
            "forum": forum_json(forum),
            "from": start.isoformat(),
            "to": end.isoformat(),
            "sessions": held,
            "skipped": skipped,
        }
    )


@operation(
    "GET",
    "/departments",
    summary="Every department, with the forums it serves",
    response=DepartmentListOut,
    access="public",
    tag="forums",
)
def list_departments() -> DepartmentListOut:
    departments = get_db().scalars(
        select(Department).options(selectinload(Department.forums)).order_by(Department.name)
    )
    return DepartmentListOut(
        departments=[
            DepartmentOut(
                id=d.id,
                slug=d.slug,
                name=d.name,
                kind=d.kind,
                responsibility_areas=list(d.responsibility_areas),
                capacity_per_session=d.capacity_per_session,
                forums=sorted(f.slug for f in d.forums),
            )
            for d in departments
        ]
    )
