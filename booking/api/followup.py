"""Follow-up timeline over JSON (coordinators and administrators).

GET  /api/v1/cases/<id>/followup          the case's points with their status
POST /api/v1/cases/<id>/followup          add a point {title, due_date, owner_department_id?,
                                          owner_name?, owner_email?, description?,
                                          visible_to_customer?}
POST /api/v1/followup/<id>/done           mark a point done (closes the case after the last one)
GET  /api/v1/followup/overdue             open points past their due date

The body is read here (its messages name the field and what was sent); ``PointIn`` describes
it in the OpenAPI document.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from flask import request
from pydantic import BaseModel, Field

from booking.api.auth import current_actor
from booking.api.errors import ApiError
from booking.api.operations import Link, operation
from booking.domain.followup import point_status
from booking.domain.vocabulary import CaseStatus
from booking.models import FollowUpPoint
from booking.services.cases.queries import get_case
from booking.services.followup import points as followups
from booking.services.followup.common import local_date
from booking.services.inputs import MAX_ID, Id
from booking.web_support import get_db, now, settings

# The columns' lengths: a longer text is refused here, not by the database.
MAX_LENGTHS = {"title": 300, "owner_name": 200, "owner_email": 320, "description": 20_000}


class PointIn(BaseModel):
    """A follow-up point; it needs an owner: a department of the case or a named person."""

    title: str = Field(min_length=1, max_length=MAX_LENGTHS["title"])
    due_date: date
    owner_department_id: Id | None = Field(default=None, description="A department of the case.")
    owner_name: str = Field(default="", max_length=MAX_LENGTHS["owner_name"])
    owner_email: str = Field(default="", max_length=MAX_LENGTHS["owner_email"])
    description: str = Field(default="", max_length=MAX_LENGTHS["description"])
    visible_to_customer: bool = True


class PointOut(BaseModel):
    id: int
    case_id: int
    title: str
    description: str
    due_date: date
    status: Literal["open", "done", "overdue"]
    owner_department: str | None = Field(description="The owning department's slug.")
    owner_name: str
    visible_to_customer: bool
    done_at: str | None = Field(description="When it was marked done (ISO 8601).")


class TimelineCaseOut(BaseModel):
    id: int
    reference: str
    status: CaseStatus


class TimelineOut(BaseModel):
    case: TimelineCaseOut
    points: list[PointOut]


class OverduePointOut(PointOut):
    case_reference: str


class OverdueOut(BaseModel):
    date: date
    points: list[OverduePointOut]


def point_json(point: FollowUpPoint, today: date) -> dict[str, Any]:
    return {
        "id": point.id,
        "case_id": point.case_id,
        "title": point.title,
        "description": point.description,
        "due_date": point.due_date.isoformat(),
        "status": point_status(point.status, point.due_date, today),
        "owner_department": point.owner_department.slug if point.owner_department else None,
        "owner_name": point.owner_name,
        "visible_to_customer": point.visible_to_customer,
        "done_at": point.done_at.isoformat() if point.done_at else None,
    }


def _today() -> date:
    return local_date(now(), settings().forum_timezone)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "Send a JSON object.", {})
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ApiError(422, "invalid", f"{name} must be a string.", {name: "not a string"})
    longest = MAX_LENGTHS[name]
    if len(value) > longest:
        raise ApiError(
            422, "invalid", f"{name} may be at most {longest} characters.", {name: "too long"}
        )
    return value


def _point_input(body: dict[str, Any]) -> followups.PointInput:
    raw_due = body.get("due_date")
    try:
        due = date.fromisoformat(raw_due) if isinstance(raw_due, str) else None
    except ValueError:
        due = None
    if due is None:
        raise ApiError(
            422,
            "invalid",
            "due_date must be a date as YYYY-MM-DD.",
            {"due_date": str(raw_due)[:40]},
        )
    dep = body.get("owner_department_id")
    if dep is not None and (type(dep) is not int or not 1 <= dep <= MAX_ID):
        raise ApiError(
            422,
            "invalid",
            "owner_department_id must be a department id (a positive integer).",
            {"owner_department_id": str(dep)[:40]},
        )
    visible = body.get("visible_to_customer", True)
    if not isinstance(visible, bool):
        raise ApiError(
            422,
            "invalid",
            "visible_to_customer must be true or false.",
            {"visible_to_customer": ""},
        )
    return followups.PointInput(
        title=_text(body, "title"),
        due_date=due,
        owner_department_id=dep,
        owner_name=_text(body, "owner_name"),
        owner_email=_text(body, "owner_email"),
        description=_text(body, "description"),
        visible_to_customer=visible,
    )


_POINT = "$response.body#/id"


@operation(
    "GET",
    "/cases/{case_id}/followup",
    summary="A case's follow-up timeline: its points with their status",
    response=TimelineOut,
    access="write",
    tag="followup",
)
def followup_list(case_id: int) -> TimelineOut:
    db = get_db()
    case = get_case(db, case_id)
    today = _today()
    rows = followups.timeline(db, case.id, today)
    return TimelineOut.model_validate(
        {
            "case": {"id": case.id, "reference": case.reference, "status": case.status.value},
            "points": [point_json(r.point, today) for r in rows],
        }
    )


@operation(
    "POST",
    "/cases/{case_id}/followup",
    summary="Add a point to a case's follow-up timeline",
    response=PointOut,
    status=201,
    body=PointIn,
    parse=False,
    access="write",
    tag="followup",
    links={"MarkDone": Link("POST /followup/{point_id}/done", {"point_id": _POINT})},
)
def followup_add(case_id: int) -> PointOut:
    point = followups.add_point(get_db(), case_id, _point_input(_body()), current_actor(), now())
    return PointOut.model_validate(point_json(point, _today()))


@operation(
    "POST",
    "/followup/{point_id}/done",
    summary="Mark a point done (the case closes after its last open point)",
    response=PointOut,
    access="write",
    tag="followup",
)
def followup_done(point_id: int) -> PointOut:
    point = followups.mark_done(get_db(), point_id, current_actor(), now())
    return PointOut.model_validate(point_json(point, _today()))


@operation(
    "GET",
    "/followup/overdue",
    summary="Open points past their due date, oldest first",
    response=OverdueOut,
    access="write",
    tag="followup",
)
def followup_overdue() -> OverdueOut:
    today = _today()
    points = followups.overdue(get_db(), today)
    return OverdueOut.model_validate(
        {
            "date": today.isoformat(),
            "points": [
                {**point_json(p, today), "case_reference": p.case.reference} for p in points
            ],
        }
    )
