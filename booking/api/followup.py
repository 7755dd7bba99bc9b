"""Follow-up timeline over JSON (coordinators and administrators).

GET  /api/v1/cases/<id>/followup          the case's points with their status
POST /api/v1/cases/<id>/followup          add a point {title, due_date, owner_department_id?,
                                          owner_name?, owner_email?, description?,
                                          visible_to_customer?}
POST /api/v1/followup/<id>/done           mark a point done (closes the case after the last one)
GET  /api/v1/followup/overdue             open points past their due date
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request

from booking.api import api_bp
from booking.api.auth import current_actor, requires
from booking.api.errors import ApiError
from booking.domain.followup import point_status
from booking.models import FollowUpPoint
from booking.services import followups
from booking.services.followup_common import local_date
from booking.services.inputs import MAX_ID
from booking.web_support import get_db, now, settings


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


@api_bp.get("/cases/<int:case_id>/followup")
@requires("write")
def followup_list(case_id: int) -> dict[str, Any]:
    db = get_db()
    case = followups.get_case(db, case_id)
    today = _today()
    rows = followups.timeline(db, case.id, today)
    return {
        "case": {"id": case.id, "reference": case.reference, "status": case.status.value},
        "points": [point_json(r.point, today) for r in rows],
    }


@api_bp.post("/cases/<int:case_id>/followup")
@requires("write")
def followup_add(case_id: int) -> tuple[dict[str, Any], int]:
    point = followups.add_point(get_db(), case_id, _point_input(_body()), current_actor(), now())
    return point_json(point, _today()), 201


@api_bp.post("/followup/<int:point_id>/done")
@requires("write")
def followup_done(point_id: int) -> dict[str, Any]:
    point = followups.mark_done(get_db(), point_id, current_actor(), now())
    return point_json(point, _today())


@api_bp.get("/followup/overdue")
@requires("write")
def followup_overdue() -> dict[str, Any]:
    today = _today()
    points = followups.overdue(get_db(), today)
    return {
        "date": today.isoformat(),
        "points": [{**point_json(p, today), "case_reference": p.case.reference} for p in points],
    }
