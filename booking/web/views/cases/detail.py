"""The case page: the meeting, replies, moving, cancelling, status and answers by phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from booking.domain.cases import allowed_next
from booking.domain.visibility import Visibility
from booking.domain.vocabulary import LIVE_MEETING, CaseStatus
from booking.models import Attendee, Case, Meeting
from booking.services import audit
from booking.services.audit import Actor
from booking.services.cases import covers as covers_service
from booking.services.cases import registry as case_service
from booking.services.errors import ServiceError
from booking.services.followup import minutes_access
from booking.services.invitations import replies as rsvp_service
from booking.services.meetings import changes as meeting_changes
from booking.services.meetings import overview as overview_service
from booking.services.meetings import roles as meeting_roles
from booking.services.meetings.context import earliest_bookable_date
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.forms.cases import (
    CancelMeetingForm,
    PhoneReplyForm,
    RescheduleForm,
    RolesForm,
    TransitionForm,
)
from booking.web.forms.fields import options
from booking.web.messages import booking_problem, service_message
from booking.web.policy import can
from booking.web.views.admin.common import actor
from booking.web.views.cases import documents as case_documents
from booking.web.views.cases.common import (
    MANUAL_STATUSES,
    case_or_404,
    live_meeting_of,
    representative_choices,
    seen_of,
    when_text,
)
from booking.web_support import freebusy, get_db, now, policies

CLOSED = frozenset({CaseStatus.CLOSED, CaseStatus.CANCELLED})


def _reschedule_form(case: Case, meeting: Meeting, formdata: bool = False) -> RescheduleForm:
    """ "The earliest time that works for all" (the allocator decides when the form is sent)
    or any free time from the minimum notice on; the service checks the chosen one and says
    why it does not work. Listing free slots is one query, where proposals would run the
    allocator on every view of the case page."""
    form = RescheduleForm() if formdata else RescheduleForm(formdata=None)
    choices: list[tuple[str, str]] = [("earliest", _("The earliest time that works for all"))]
    start = earliest_bookable_date(get_db(), case, now())
    free = overview_service.free_slots(
        get_db(), case.forum_id, start, start + timedelta(weeks=16), limit=40
    )
    choices += [
        (str(s.id), _when_slot(s.starts_at, s.ends_at)) for s in free if s.starts_at > now()
    ]
    form.slot.choices = options(choices)
    return form


def _when_slot(start: Any, end: Any) -> str:
    from booking.i18n import long_date, time_range

    return f"{long_date(start)} {time_range(start, end)}"


def _minutes_links(case: Case) -> set[int]:
    """The meetings whose minutes the logged-in user may open (write or approve)."""
    user = current_user()
    if user is None:
        return set()
    actor = Actor.of(user)
    return {
        m.id
        for m in case.meetings
        if minutes_access.may_edit(actor, m) or minutes_access.may_approve(actor, m)
    }


def _own_invitation(live: Meeting | None) -> Attendee | None:
    """The signed-in user's own open invitation to the coming meeting, to answer here."""
    user = current_user()
    if user is None or live is None or live.ends_at <= now():
        return None
    return next(
        (a for a in live.attendees if a.active and a.representative.user_id == user.id), None
    )


def case_page(case: Case, status: int = 200, **forms: Any) -> Any:
    """The case page (``forms``: a form sent back with its errors, or for the covers form
    ``covers_typed`` and ``covers_error``)."""
    return _case_page(case, status, **forms)


def _case_page(case: Case, status: int = 200, **forms: Any) -> Any:
    seen = seen_of(case)
    user = current_user()
    live = live_meeting_of(case)
    db = get_db()
    replies = overview_service.reply_counts(db, [m.id for m in case.meetings])
    context: dict[str, Any] = {
        "case": case,
        "seen": seen,
        "live": live,
        "replies": replies,
        "earlier": [m for m in case.meetings if m is not live],
        "history": audit.history(db, case.id) if seen.contact else None,
        # Links only to what the reader may open: the agreed timeline for case handlers, the
        # minutes of a meeting for whoever writes or approves them (never a link to a 403).
        "timeline_link": can(user, "edit_cases"),
        "minutes_links": _minutes_links(case),
        "own_invitation": _own_invitation(live),
        # The business's documents (issue 14 §4), None where the policy hides them.
        "documents": case_documents.panel(case, seen),
    }
    context.update(_preparation(case, live, seen, forms))
    if can(user, "book") and live is not None:
        context["reschedule_form"] = forms.get("reschedule_form") or _reschedule_form(case, live)
        context["cancel_form"] = forms.get("cancel_form") or CancelMeetingForm(formdata=None)
        context["reply_form"] = forms.get("reply_form") or PhoneReplyForm(formdata=None)
    roles_meeting = meeting_roles.changeable_meeting(db, case) if can(user, "book") else None
    if roles_meeting is not None:
        context["roles_meeting"] = roles_meeting
        context["roles_form"] = forms.get("roles_form") or _roles_form(roles_meeting)
    if can(user, "edit_cases"):
        nxt = [s for s in MANUAL_STATUSES if s.value in allowed_next(case.status.value)]
        nxt += [CaseStatus.CANCELLED] if "cancelled" in allowed_next(case.status.value) else []
        if nxt:
            form = forms.get("status_form") or TransitionForm(formdata=None)
            from booking.web.labels import case_status_label

            form.status.choices = options([(s.value, case_status_label(s)) for s in nxt])
            context["status_form"] = form
    return render_template("web/cases/detail.html", **context), status


def _preparation(
    case: Case, live: Meeting | None, seen: Visibility, forms: dict[str, Any]
) -> dict[str, Any]:
    """What each department will cover (a form for those who edit cases, read-only where the
    reader may see the case's free text) and the link to the afternoon's agenda."""
    user = current_user()
    context: dict[str, Any] = {}
    if can(user, "edit_cases") or seen.free_text:
        context["covers"] = covers_service.covers_of(get_db(), case.id)
        context["covers_form"] = can(user, "edit_cases") and case.status not in CLOSED
        context["covers_typed"] = forms.get("covers_typed") or {}
        context["covers_error"] = forms.get("covers_error") or ""
    if live is not None and live.slot is not None and can(user, "view_overview"):
        context["agenda_session_id"] = live.slot.session_id
    return context


def _roles_form(meeting: Meeting, formdata: bool = False) -> RolesForm:
    form = RolesForm() if formdata else RolesForm(formdata=None)
    choices = [(0, _("Decide later")), *representative_choices()]
    for select, current in (
        (form.convener_id, meeting.convener_id),
        (form.minute_taker_id, meeting.minute_taker_id),
    ):
        select.choices = options(choices)
        if not formdata:
            select.data = current or 0
    return form


@web_bp.get("/cases/<int:case_id>")
@requires()
def case_detail(case_id: int) -> Any:
    return _case_page(case_or_404(case_id))


def _meeting_of(case: Case, meeting_id: int) -> Meeting:
    meeting = next((m for m in case.meetings if m.id == meeting_id), None)
    if meeting is None:
        abort(404)
    return meeting


@web_bp.post("/cases/<int:case_id>/meetings/<int:meeting_id>/reschedule")
@requires("book")
def case_reschedule(case_id: int, meeting_id: int) -> Any:
    case = case_or_404(case_id)
    meeting = _meeting_of(case, meeting_id)
    if meeting.status not in LIVE_MEETING:
        abort(409)
    form = _reschedule_form(case, meeting, formdata=True)
    form.slot.validate_choice = False  # a slot offered a moment ago may be gone: the service says
    if form.validate_on_submit():
        raw = form.slot.data or ""
        target: int | str = int(raw) if raw.isdigit() else raw
        try:
            moved = meeting_changes.reschedule(
                get_db(),
                meeting_id,
                target,
                actor(),
                now=now(),
                override_reason=form.override_reason.data or "",
                freebusy=freebusy(),
            )
        except ServiceError as exc:
            get_db().rollback()
            form.form_errors.append(booking_problem(exc))
        else:
            flash(_("The meeting is moved to %(when)s.", when=when_text(moved)), "success")
            return redirect(url_for("web.case_detail", case_id=case_id))
    return _case_page(case_or_404(case_id), 409 if form.form_errors else 422, reschedule_form=form)


@web_bp.post("/cases/<int:case_id>/meetings/<int:meeting_id>/cancel")
@requires("book")
def case_cancel_meeting(case_id: int, meeting_id: int) -> Any:
    case = case_or_404(case_id)
    meeting = _meeting_of(case, meeting_id)
    form = CancelMeetingForm()
    if form.validate_on_submit():
        try:
            meeting_changes.cancel_meeting(
                get_db(), meeting.id, form.reason.data or "", actor(), now=now()
            )
        except ServiceError as exc:
            get_db().rollback()
            form.form_errors.append(service_message(exc))
        else:
            flash(_("The meeting is cancelled. Everyone invited is told."), "success")
            return redirect(url_for("web.case_detail", case_id=case_id))
    return _case_page(case_or_404(case_id), 422, cancel_form=form)


@web_bp.post("/cases/<int:case_id>/meetings/<int:meeting_id>/roles")
@requires("book")
def case_meeting_roles(case_id: int, meeting_id: int) -> Any:
    """Choose or change the convener and the minute-taker (until the minutes are approved)."""
    case = case_or_404(case_id)
    meeting = _meeting_of(case, meeting_id)
    form = _roles_form(meeting, formdata=True)
    if form.validate_on_submit():
        try:
            changed = meeting_roles.set_roles(
                get_db(),
                meeting,
                form.convener_id.data or None,
                form.minute_taker_id.data or None,
                actor(),
                now(),
            )
        except ServiceError as exc:
            get_db().rollback()
            form.form_errors.append(service_message(exc))
        else:
            if changed:
                flash(_("The convener and minute-taker are saved; they are told."), "success")
            return redirect(url_for("web.case_detail", case_id=case_id))
    return _case_page(case_or_404(case_id), 409 if form.form_errors else 422, roles_form=form)


@web_bp.post("/cases/<int:case_id>/status")
@requires("edit_cases")
def case_status(case_id: int) -> Any:
    case = case_or_404(case_id)
    form = TransitionForm()
    form.status.choices = options([(s.value, s.value) for s in CaseStatus])
    if form.validate_on_submit():
        try:
            case_service.transition(
                get_db(),
                case.id,
                form.status.data or "",
                actor(),
                now=now(),
                note=form.note.data or "",
            )
        except ServiceError as exc:
            get_db().rollback()
            form.form_errors.append(service_message(exc))
        else:
            flash(_("The status is changed."), "success")
            return redirect(url_for("web.case_detail", case_id=case_id))
    return _case_page(case_or_404(case_id), 422, status_form=form)


@web_bp.post("/cases/<int:case_id>/replies")
@requires("record_reply")
def case_record_reply(case_id: int) -> Any:
    case = case_or_404(case_id)
    live = live_meeting_of(case)
    form = PhoneReplyForm()
    attendee_ids = {a.id for a in live.attendees if a.active} if live else set()
    if form.validate_on_submit():
        raw = form.attendee_id.data or ""
        if not raw.isdigit() or int(raw) not in attendee_ids:
            abort(400)
        try:
            _record_phone_reply(int(raw), form.partstat.data or "", form.note.data or "")
        except ServiceError as exc:
            get_db().rollback()
            form.form_errors.append(service_message(exc))
        else:
            flash(_("The answer is recorded."), "success")
            return redirect(url_for("web.case_detail", case_id=case_id))
    return _case_page(case, 422, reply_form=form)


def _record_phone_reply(attendee_id: int, partstat: str, note: str) -> None:
    rsvp_service.record_phone_reply(
        get_db(), attendee_id, partstat, note, now(), actor=actor(), policy=policies().rsvp
    )
