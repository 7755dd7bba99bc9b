"""The agreed timeline of a case: follow-up points, closing, the overdue list."""

from __future__ import annotations

from flask import (
    abort,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from booking.models import Case, FollowUpPoint
from booking.services.errors import Invalid
from booking.services.followup import points as followups
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.paging import one_page, page_arg
from booking.web.views.followup.common import (
    STATUS_LABELS,
    attempt,
    current_actor,
    date_field,
    int_field,
    local_today,
)
from booking.web_support import get_db, now

# Overdue points per page.
OVERDUE = 100


def _point_form() -> followups.PointInput:
    due = date_field("due_date")
    if due is None:
        raise Invalid(_("Enter the due date as YYYY-MM-DD."), {"due_date": "required"})
    return followups.PointInput(
        title=request.form.get("title", ""),
        due_date=due,
        owner_department_id=int_field("owner_department_id"),
        owner_name=request.form.get("owner_name", ""),
        owner_email=request.form.get("owner_email", ""),
        description=request.form.get("description", ""),
        visible_to_customer="visible_to_customer" in request.form,
    )


@web_bp.get("/cases/<int:case_id>/followup")
@requires("edit_cases")
def followup_timeline(case_id: int) -> str:
    db = get_db()
    case = db.get(Case, case_id) or abort(404)
    rows = followups.timeline(db, case.id, local_today())
    return render_template(
        "followup/timeline.html",
        case=case,
        rows=rows,
        counts=followups.status_counts(rows),
        status_labels=STATUS_LABELS,
        meetings=case.meetings,
        editable=case.status.value not in ("closed", "cancelled"),
    )


@web_bp.post("/cases/<int:case_id>/followup/points")
@requires("edit_cases")
def followup_point_add(case_id: int) -> BaseResponse:
    back = url_for("web.followup_timeline", case_id=case_id)
    return attempt(
        lambda: followups.add_point(get_db(), case_id, _point_form(), current_actor(), now()),
        back,
        _("The point is added."),
    )


def _point_case(point_id: int) -> int:
    row = get_db().get(FollowUpPoint, point_id)
    if row is None:
        abort(404)
    return row.case_id


@web_bp.post("/followup/points/<int:point_id>")
@requires("edit_cases")
def followup_point_edit(point_id: int) -> BaseResponse:
    back = url_for("web.followup_timeline", case_id=_point_case(point_id))
    return attempt(
        lambda: followups.update_point(get_db(), point_id, _point_form(), current_actor(), now()),
        back,
        _("The point is changed."),
    )


@web_bp.post("/followup/points/<int:point_id>/done")
@requires("edit_cases")
def followup_point_done(point_id: int) -> BaseResponse:
    back = request.form.get("back") or url_for(
        "web.followup_timeline", case_id=_point_case(point_id)
    )
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("web.followup_overdue")
    return attempt(
        lambda: followups.mark_done(get_db(), point_id, current_actor(), now()),
        back,
        _("Marked as done."),
    )


@web_bp.post("/followup/points/<int:point_id>/reopen")
@requires("edit_cases")
def followup_point_reopen(point_id: int) -> BaseResponse:
    back = url_for("web.followup_timeline", case_id=_point_case(point_id))
    return attempt(lambda: followups.reopen(get_db(), point_id, current_actor(), now()), back)


@web_bp.post("/cases/<int:case_id>/close")
@requires("edit_cases")
def followup_case_close(case_id: int) -> BaseResponse:
    back = url_for("web.followup_timeline", case_id=case_id)
    note = request.form.get("note", "")
    return attempt(
        lambda: followups.close_case(get_db(), case_id, current_actor(), now(), note),
        back,
        _("The case is closed."),
    )


@web_bp.get("/followup/overdue")
@requires("edit_cases")
def followup_overdue() -> str:
    today = local_today()
    page = page_arg()
    points, more = one_page(
        followups.overdue(get_db(), today, limit=OVERDUE + 1, offset=(page - 1) * OVERDUE),
        OVERDUE,
    )
    return render_template(
        "followup/overdue.html", points=points, today=today, page=page, more=more
    )
