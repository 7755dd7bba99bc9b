"""Proposals and booking: the earliest slots where every department can attend, or a chosen one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import ngettext

from booking.domain.vocabulary import CaseStatus
from booking.models import Case
from booking.services.errors import Conflict, Invalid, NotFound, ServiceError
from booking.services.meetings import overview as overview_service
from booking.services.meetings.book import book
from booking.services.meetings.proposals import propose
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.forms.cases import (
    BookForm,
)
from booking.web.messages import booking_problem, service_message
from booking.web.views.admin.common import actor
from booking.web.views.cases.common import (
    case_or_404,
    live_meeting_of,
    representative_choices,
    when_text,
)
from booking.web_support import freebusy, get_db, now


def _proposal_page(case: Case, form: BookForm | None = None, status: int = 200) -> Any:
    db = get_db()
    problem = None
    try:
        proposals = propose(db, case.id, now=now(), freebusy=freebusy(), limit=5)
    except Invalid as exc:
        proposals, problem = None, service_message(exc)
    today = now().date()
    proposed_ids = {p.slot_id for p in proposals.slots} if proposals else set()
    start = proposals.not_before if proposals else today
    others = [
        s
        for s in overview_service.free_slots(db, case.forum_id, today, start + timedelta(weeks=16))
        if s.id not in proposed_ids and s.starts_at > now()
    ]
    return (
        render_template(
            "web/cases/book.html",
            case=case,
            proposals=proposals,
            problem=problem,
            others=others,
            form=form,
            representatives=representative_choices(),
        ),
        status,
    )


@web_bp.route("/cases/<int:case_id>/book", methods=["GET", "POST"])
@requires("book")
def case_book(case_id: int) -> Any:
    case = case_or_404(case_id)
    if request.method == "GET":
        if live_meeting_of(case) is not None or case.status != CaseStatus.RECEIVED:
            return redirect(url_for("web.case_detail", case_id=case_id))
        return _proposal_page(case)
    form = BookForm()
    form.convener_id.validate_choice = False
    form.minute_taker_id.validate_choice = False
    if not form.validate_on_submit():
        return _proposal_page(case, form, 422)
    booking_request = {
        "slot": form.slot.data,
        "convener_id": form.convener_id.data or None,
        "minute_taker_id": form.minute_taker_id.data or None,
        "override_reason": form.override_reason.data or "",
    }
    try:
        meeting = book(get_db(), case_id, booking_request, actor(), now=now(), freebusy=freebusy())
    except NotFound:
        abort(404)
    except ServiceError as exc:
        get_db().rollback()
        form.form_errors.append(booking_problem(exc))
        return _proposal_page(case_or_404(case_id), form, 409 if isinstance(exc, Conflict) else 422)
    flash(
        ngettext(
            "Booked: %(when)s. Invitations go to %(num)s representative.",
            "Booked: %(when)s. Invitations go to %(num)s representatives.",
            len([a for a in meeting.attendees if a.active]),
            when=when_text(meeting),
        ),
        "success",
    )
    return redirect(url_for("web.case_detail", case_id=case_id))
