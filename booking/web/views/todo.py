"""Every staff member's next steps ("Att göra"), and answering one's own invitation on the web.

A representative answers on "Mina möten", on the to-do list or on the case page (channel "web",
booking.services.invitations.replies.record_own_reply); the owner of a follow-up point marks it
done here, since the reminder mail sends them to do so.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from booking.services.errors import NotFound, ServiceError
from booking.services.followup import points as point_service
from booking.services.invitations import replies as rsvp_service
from booking.services.meetings import overview as overview_service
from booking.services.todo import todo_for
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.forms.cases import OwnAnswerForm
from booking.web.messages import service_message
from booking.web.paging import page_arg
from booking.web.policy import case_visibility
from booking.web.views.admin.common import actor
from booking.web_support import get_db, now, policies

# Where an answer form returns to: only these pages, never a URL from the request.
RETURN_TO = {"todo": "web.my_todo", "meetings": "web.my_meetings"}


@web_bp.get("/me/todo")
@requires()
def my_todo() -> Any:
    user = current_user()
    assert user is not None
    db = get_db()
    todo = todo_for(db, user, now(), page=page_arg())
    cases = {a.meeting.case for a in todo.unanswered}
    cases |= {m.case for m in [*todo.minutes_to_approve, *todo.minutes_to_write]}
    cases |= {p.case for p in todo.points}
    invited = overview_service.invited_case_ids(db, user.id, [c.id for c in cases])
    seen = {c.id: case_visibility(user, c, participant=c.id in invited) for c in cases}
    return render_template("web/me/todo.html", todo=todo, seen=seen, answer_form=OwnAnswerForm)


def _back(case_id: int | None = None) -> Any:
    target = request.form.get("back", "")
    if target == "case" and case_id is not None:
        return redirect(url_for("web.case_detail", case_id=case_id))
    return redirect(url_for(RETURN_TO.get(target, "web.my_meetings")))


@web_bp.post("/me/invitations/<int:attendee_id>/answer")
@requires()
def answer_own_invitation(attendee_id: int) -> Any:
    user = current_user()
    assert user is not None
    form = OwnAnswerForm()
    if not form.validate_on_submit():
        flash(_("Choose accept, tentative or decline."), "error")
        return _back()
    try:
        attendee = rsvp_service.record_own_reply(
            get_db(),
            user.id,
            attendee_id,
            form.partstat.data or "",
            form.note.data or "",
            now(),
            actor=actor(),
            policy=policies().rsvp,
        )
    except NotFound:
        abort(404)
    except ServiceError as exc:
        get_db().rollback()
        flash(service_message(exc), "error")
        return _back()
    flash(_("Your answer is recorded. Thank you!"), "success")
    return _back(attendee.meeting.case_id)


@web_bp.post("/me/points/<int:point_id>/done")
@requires()
def mark_own_point_done(point_id: int) -> Any:
    try:
        point_service.mark_done(get_db(), point_id, actor(), now())
    except NotFound:
        abort(404)
    except ServiceError as exc:
        get_db().rollback()
        if exc.reason == "staff_only":
            abort(403)
        flash(service_message(exc), "error")
    else:
        flash(_("The follow-up point is marked as done."), "success")
    return redirect(url_for("web.my_todo"))
