"""Minutes of a meeting: draft, save, approve, correct, print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from booking.models import Meeting, Minutes
from booking.services.errors import Forbidden, Invalid, ServiceError
from booking.services.followup import minutes as minutes_svc
from booking.services.followup import minutes_access, minutes_mail
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.messages import service_message
from booking.web.views.followup.common import (
    ANSWER_LABELS,
    VERSION_LABELS,
    attempt,
    current_actor,
    date_field,
    int_field,
)
from booking.web_support import get_db, now, policies


def _meeting_for_minutes(meeting_id: int) -> Meeting:
    meeting = get_db().get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    actor = current_actor()
    if not (minutes_access.may_edit(actor, meeting) or minutes_access.may_approve(actor, meeting)):
        abort(403)
    return meeting


@web_bp.get("/meetings/<int:meeting_id>/minutes")
@requires()
def followup_minutes(meeting_id: int) -> str:
    return _minutes_page(meeting_id)


def _minutes_page(meeting_id: int, typed: TypedMinutes | None = None) -> str:
    meeting = _meeting_for_minutes(meeting_id)
    db = get_db()
    actor = current_actor()
    draft = minutes_access.current_draft(db, meeting.id)
    return render_template(
        "followup/minutes.html",
        meeting=meeting,
        case=meeting.case,
        draft=draft,
        typed=typed,
        approved=minutes_access.current_approved(db, meeting.id),
        versions=minutes_access.versions(db, meeting.id),
        may_edit=minutes_access.may_edit(actor, meeting),
        may_approve=minutes_access.may_approve(actor, meeting),
        departments=sorted(
            {a.department for a in meeting.attendees} | set(meeting.case.departments),
            key=lambda d: d.name,
        ),
        blank_rows=3,
        answer_labels=ANSWER_LABELS,
        version_labels=VERSION_LABELS,
    )


@dataclass(frozen=True)
class TypedMinutes:
    """What was typed into the minutes form, shown again when saving it was refused, so that
    nothing is lost (the draft in the database is left as it was)."""

    present: list[dict[str, Any]]
    customer_present: str
    statements: list[dict[str, Any]]
    decisions: str
    action_points: list[dict[str, Any]]

    @classmethod
    def from_request(cls, minutes: Minutes) -> TypedMinutes:
        form = request.form
        rows = len(minutes.action_points) + 3
        return cls(
            present=[
                {**r, "present": f"present_{r['representative_id']}" in form}
                for r in minutes.present
            ],
            customer_present=form.get("customer_present", ""),
            statements=[
                {**s, "text": form.get(f"statement_{s['department_id']}", "")}
                for s in minutes.statements
            ],
            decisions=form.get("decisions", ""),
            action_points=[
                {
                    "title": form.get(f"ap_title_{i}", ""),
                    "owner_department_id": int_field(f"ap_dep_{i}"),
                    "owner_name": form.get(f"ap_owner_{i}", ""),
                    "owner_email": form.get(f"ap_email_{i}", ""),
                    "due_date": form.get(f"ap_due_{i}", ""),
                }
                for i in range(rows)
                if form.get(f"ap_title_{i}", "").strip()
            ],
        )


@web_bp.post("/meetings/<int:meeting_id>/minutes/start")
@requires()
def followup_minutes_start(meeting_id: int) -> BaseResponse:
    back = url_for("web.followup_minutes", meeting_id=meeting_id)
    return attempt(lambda: minutes_svc.start(get_db(), meeting_id, current_actor(), now()), back)


def _minutes_form(minutes: Minutes) -> minutes_svc.MinutesInput:
    points: list[minutes_svc.ActionPointInput] = []
    for i in range(len(minutes.action_points) + 3):
        title = request.form.get(f"ap_title_{i}", "").strip()
        if not title:
            continue
        due = date_field(f"ap_due_{i}")
        if due is None:
            raise Invalid(
                _(
                    "Action point %(n)s (%(title)s) needs a due date as YYYY-MM-DD.",
                    n=i + 1,
                    title=title,
                ),
                {f"action_points[{i}].due_date": "required"},
            )
        points.append(
            minutes_svc.ActionPointInput(
                title=title,
                due_date=due,
                owner_department_id=int_field(f"ap_dep_{i}"),
                owner_name=request.form.get(f"ap_owner_{i}", ""),
                owner_email=request.form.get(f"ap_email_{i}", ""),
            )
        )
    return minutes_svc.MinutesInput(
        present={
            int(r["representative_id"]): f"present_{r['representative_id']}" in request.form
            for r in minutes.present
        },
        customer_present=request.form.get("customer_present", ""),
        statements={
            int(s["department_id"]): request.form.get(f"statement_{s['department_id']}", "")
            for s in minutes.statements
        },
        decisions=request.form.get("decisions", ""),
        action_points=points,
    )


@web_bp.post("/minutes/<int:minutes_id>")
@requires()
def followup_minutes_save(minutes_id: int) -> BaseResponse | tuple[str, int]:
    db = get_db()
    minutes = db.get(Minutes, minutes_id) or abort(404)
    back = url_for("web.followup_minutes", meeting_id=minutes.meeting_id)
    try:
        minutes_svc.save_draft(db, minutes_id, _minutes_form(minutes), current_actor(), now())
    except Forbidden as exc:
        abort(403, exc.message)
    except ServiceError as exc:
        db.rollback()
        flash(service_message(exc), "error")
        return _minutes_page(minutes.meeting_id, TypedMinutes.from_request(minutes)), 422
    flash(_("The draft is saved."), "success")
    return redirect(back)


@web_bp.post("/minutes/<int:minutes_id>/approve")
@requires()
def followup_minutes_approve(minutes_id: int) -> BaseResponse:
    db = get_db()
    minutes = db.get(Minutes, minutes_id) or abort(404)
    back = url_for("web.followup_minutes", meeting_id=minutes.meeting_id)
    return attempt(
        lambda: minutes_svc.approve(db, minutes_id, current_actor(), now(), policies().followup),
        back,
        _("The minutes are approved and sent."),
    )


@web_bp.post("/minutes/<int:minutes_id>/ask-approval")
@requires()
def followup_minutes_ask_approval(minutes_id: int) -> BaseResponse:
    db = get_db()
    minutes = db.get(Minutes, minutes_id) or abort(404)
    back = url_for("web.followup_minutes", meeting_id=minutes.meeting_id)
    return attempt(
        lambda: minutes_mail.ask_for_approval(
            db, minutes_id, current_actor(), now(), policies().followup
        ),
        back,
        _("The convener is asked by e-mail to approve the minutes."),
    )


@web_bp.post("/meetings/<int:meeting_id>/minutes/correction")
@requires()
def followup_minutes_correction(meeting_id: int) -> BaseResponse:
    back = url_for("web.followup_minutes", meeting_id=meeting_id)
    reason = request.form.get("reason", "")
    return attempt(
        lambda: minutes_svc.start_correction(get_db(), meeting_id, reason, current_actor(), now()),
        back,
        _("A new version to correct is created."),
    )


@web_bp.get("/minutes/<int:minutes_id>/print")
@requires()
def followup_minutes_print(minutes_id: int) -> str:
    minutes = get_db().get(Minutes, minutes_id) or abort(404)
    meeting = _meeting_for_minutes(minutes.meeting_id)
    return render_template(
        "followup/minutes_print.html", minutes=minutes, meeting=meeting, case=meeting.case
    )
