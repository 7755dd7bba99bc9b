"""Cases: list, register, edit, proposals and booking, the case page, reschedule, cancel,
status, replies recorded by phone, history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from booking.domain.cases import allowed_next
from booking.domain.visibility import ConsentScope, Visibility
from booking.domain.vocabulary import LIVE_MEETING, CaseStatus, Role
from booking.models import Case, Department, Meeting
from booking.services import audit
from booking.services.cases import queries as case_queries
from booking.services.cases import registry as case_service
from booking.services.errors import Conflict, Invalid, NotFound, ServiceError
from booking.services.invitations import replies as rsvp_service
from booking.services.meetings import changes as meeting_changes
from booking.services.meetings import overview as overview_service
from booking.services.meetings.book import book
from booking.services.meetings.context import earliest_bookable_date
from booking.services.meetings.proposals import propose
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.forms.cases import (
    BookForm,
    CancelMeetingForm,
    CaseForm,
    PhoneReplyForm,
    RescheduleForm,
    TransitionForm,
)
from booking.web.forms.fields import options
from booking.web.messages import booking_problem, service_message
from booking.web.policy import can, case_visibility, reader
from booking.web.views.admin.common import actor
from booking.web_support import freebusy, get_db, now, policies

PAGE_SIZE = 50
# Statuses a coordinator sets by hand; booked/received follow booking and cancelling.
MANUAL_STATUSES = (CaseStatus.CONFIRMED, CaseStatus.HELD, CaseStatus.FOLLOW_UP, CaseStatus.CLOSED)


def _case_or_404(case_id: int) -> Case:
    case = overview_service.case_page(get_db(), case_id)
    if case is None:
        abort(404)
    return case


def _live(case: Case) -> Meeting | None:
    return next((m for m in case.meetings if m.status in LIVE_MEETING), None)


def _seen(case: Case) -> Visibility:
    """What the logged-in user may see of the case; 403 when they may not open it at all."""
    user = current_user()
    assert user is not None
    if can(user, "view_cases"):
        return case_visibility(user, case)
    if user.role == Role.REPRESENTATIVE and overview_service.user_is_invited(
        get_db(), user.id, case.id
    ):
        return case_visibility(user, case, participant=True)
    abort(403)


# ---------------------------------------------------------------- list


@web_bp.get("/cases")
@requires("view_cases")
def case_list() -> Any:
    db = get_db()
    page = request.args.get("page", "1")
    page_no = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    status = request.args.get("status", "")
    if status and status not in CaseStatus._value2member_map_:
        abort(400)
    forum = request.args.get("forum", "")
    user = current_user()
    # The search matches only what the user may see of a case (a viewer finding a confidential
    # case by its organisation's name would learn whose it is): the same rule as the API's.
    filters = case_queries.CaseFilters(
        status=status or None,
        forum=forum or None,
        q=(request.args.get("q", "").strip()[:100] or None),
        limit=PAGE_SIZE,
        offset=(page_no - 1) * PAGE_SIZE,
        reader=reader(user),
    )
    cases = case_queries.list_cases(db, filters)
    total = case_queries.count_cases(db, filters)
    meetings = overview_service.next_meetings(db, [c.id for c in cases])
    return render_template(
        "web/cases/list.html",
        cases=cases,
        total=total,
        page=page_no,
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        meetings=meetings,
        replies=overview_service.reply_counts(db, [m.id for m in meetings.values()]),
        seen={c.id: case_visibility(user, c) for c in cases},
        forums=overview_service.forums(db),
        statuses=list(CaseStatus),
        filters={"status": status, "forum": forum, "q": request.args.get("q", "")},
    )


# ---------------------------------------------------------------- register and edit


def _department_choices(case: Case | None = None) -> list[Any]:
    departments = [d for d in _departments() if d.active or (case and d in case.departments)]
    return options(
        [(d.id, f"{d.name} ({', '.join(f.name for f in d.forums)})") for d in departments]
    )


def _departments() -> list[Department]:
    from booking.services.directory.admin import list_departments

    return list_departments(get_db())


def _case_form(case: Case | None = None) -> CaseForm:
    form = CaseForm(obj=case)
    forums = overview_service.forums(get_db())
    form.forum.choices = options([(f.slug, f.name) for f in forums])
    form.department_ids.choices = _department_choices(case)
    if request.method == "GET":
        if case is not None:
            form.forum.data = case.forum.slug
            form.category.data = case.category.value
            form.department_ids.data = [d.id for d in case.departments]
            form.responsibility_areas.data = ", ".join(case.responsibility_areas or [])
            form.consent_external.data = case.consent_scope == ConsentScope.EXTERNAL
        elif request.args.get("forum"):
            form.forum.data = request.args["forum"]
    return form


def consent_of(form: CaseForm) -> str:
    """The consent scope the form gives: external parties include the municipal ones."""
    if form.consent_external.data:
        return ConsentScope.EXTERNAL.value
    return (ConsentScope.MUNICIPAL if form.consent_to_share.data else ConsentScope.NONE).value


def _case_data(form: CaseForm) -> dict[str, Any]:
    return {
        "registry_number": form.registry_number.data or "",
        "org_name": form.org_name.data or "",
        "org_number": form.org_number.data or "",
        "contact_name": form.contact_name.data or "",
        "contact_email": form.contact_email.data or "",
        "contact_phone": form.contact_phone.data or "",
        "category": form.category.data,
        "description": form.description.data or "",
        "responsibility_areas": [
            a.strip() for a in (form.responsibility_areas.data or "").split(",") if a.strip()
        ],
        "department_ids": list(form.department_ids.data or []),
        "confidential": bool(form.confidential.data),
        "consent_scope": consent_of(form),
    }


def _form_error(form: CaseForm, exc: ServiceError) -> None:
    get_db().rollback()
    message = service_message(exc)
    for name in exc.details:
        field = getattr(form, str(name).split(".")[0], None)
        if field is not None and hasattr(field, "errors") and isinstance(field.errors, list):
            field.errors.append(message)
    form.form_errors.append(message)


@web_bp.route("/cases/new", methods=["GET", "POST"])
@requires("edit_cases")
def case_new() -> Any:
    form = _case_form()
    if form.validate_on_submit():
        data = _case_data(form) | {"forum": form.forum.data}
        try:
            case = case_service.create_case(get_db(), data, actor(), now=now())
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash(_("The case %(ref)s is registered.", ref=case.reference), "success")
            return redirect(url_for("web.case_book", case_id=case.id))
    status = 422 if request.method == "POST" else 200
    return render_template("web/cases/form.html", form=form, case=None), status


@web_bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@requires("edit_cases")
def case_edit(case_id: int) -> Any:
    case = _case_or_404(case_id)
    if case.status in (CaseStatus.CLOSED, CaseStatus.CANCELLED):
        flash(_("A closed or cancelled case can no longer be edited."), "warning")
        return redirect(url_for("web.case_detail", case_id=case_id))
    form = _case_form(case)
    form.forum.render_kw = {"disabled": True}
    form.forum.validate_choice = False
    form.forum.data = case.forum.slug
    form.submit.label.text = _("Save")
    if form.validate_on_submit():
        try:
            case_service.update_case(get_db(), case_id, _case_data(form), actor(), now=now())
        except ServiceError as exc:
            _form_error(form, exc)
        else:
            flash(_("The case %(ref)s is saved.", ref=case.reference), "success")
            return redirect(url_for("web.case_detail", case_id=case_id))
    status = 422 if request.method == "POST" else 200
    return render_template("web/cases/form.html", form=form, case=case), status


# ---------------------------------------------------------------- proposals and booking


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
            representatives=_all_representatives(),
        ),
        status,
    )


def _all_representatives() -> list[Any]:
    return [r for d in _departments() if d.active for r in d.representatives if r.active]


@web_bp.route("/cases/<int:case_id>/book", methods=["GET", "POST"])
@requires("book")
def case_book(case_id: int) -> Any:
    case = _case_or_404(case_id)
    if request.method == "GET":
        if _live(case) is not None or case.status != CaseStatus.RECEIVED:
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
        return _proposal_page(
            _case_or_404(case_id), form, 409 if isinstance(exc, Conflict) else 422
        )
    flash(
        ngettext(
            "Booked: %(when)s. Invitations go to %(num)s representative.",
            "Booked: %(when)s. Invitations go to %(num)s representatives.",
            len([a for a in meeting.attendees if a.active]),
            when=_when(meeting),
        ),
        "success",
    )
    return redirect(url_for("web.case_detail", case_id=case_id))


def _when(meeting: Meeting) -> str:
    from booking.i18n import long_date, time_range

    return f"{long_date(meeting.starts_at)} {time_range(meeting.starts_at, meeting.ends_at)}"


# ---------------------------------------------------------------- the case page


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


def _case_page(case: Case, status: int = 200, **forms: Any) -> Any:
    seen = _seen(case)
    user = current_user()
    live = _live(case)
    db = get_db()
    replies = overview_service.reply_counts(db, [m.id for m in case.meetings])
    context: dict[str, Any] = {
        "case": case,
        "seen": seen,
        "live": live,
        "replies": replies,
        "earlier": [m for m in case.meetings if m is not live],
        "history": audit.history(db, case.id) if seen.contact else None,
        # The follow-through pages (minutes, agreed timeline) when that work is installed.
        "followup_pages": "web.followup_timeline" in current_app.view_functions,
    }
    if can(user, "book") and live is not None:
        context["reschedule_form"] = forms.get("reschedule_form") or _reschedule_form(case, live)
        context["cancel_form"] = forms.get("cancel_form") or CancelMeetingForm(formdata=None)
        context["reply_form"] = forms.get("reply_form") or PhoneReplyForm(formdata=None)
    if can(user, "edit_cases"):
        nxt = [s for s in MANUAL_STATUSES if s.value in allowed_next(case.status.value)]
        nxt += [CaseStatus.CANCELLED] if "cancelled" in allowed_next(case.status.value) else []
        if nxt:
            form = forms.get("status_form") or TransitionForm(formdata=None)
            from booking.web.labels import case_status_label

            form.status.choices = options([(s.value, case_status_label(s)) for s in nxt])
            context["status_form"] = form
    return render_template("web/cases/detail.html", **context), status


@web_bp.get("/cases/<int:case_id>")
@requires()
def case_detail(case_id: int) -> Any:
    return _case_page(_case_or_404(case_id))


def _meeting_of(case: Case, meeting_id: int) -> Meeting:
    meeting = next((m for m in case.meetings if m.id == meeting_id), None)
    if meeting is None:
        abort(404)
    return meeting


@web_bp.post("/cases/<int:case_id>/meetings/<int:meeting_id>/reschedule")
@requires("book")
def case_reschedule(case_id: int, meeting_id: int) -> Any:
    case = _case_or_404(case_id)
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
            flash(_("The meeting is moved to %(when)s.", when=_when(moved)), "success")
            return redirect(url_for("web.case_detail", case_id=case_id))
    return _case_page(_case_or_404(case_id), 409 if form.form_errors else 422, reschedule_form=form)


@web_bp.post("/cases/<int:case_id>/meetings/<int:meeting_id>/cancel")
@requires("book")
def case_cancel_meeting(case_id: int, meeting_id: int) -> Any:
    case = _case_or_404(case_id)
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
    return _case_page(_case_or_404(case_id), 422, cancel_form=form)


@web_bp.post("/cases/<int:case_id>/status")
@requires("edit_cases")
def case_status(case_id: int) -> Any:
    case = _case_or_404(case_id)
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
    return _case_page(_case_or_404(case_id), 422, status_form=form)


@web_bp.post("/cases/<int:case_id>/replies")
@requires("record_reply")
def case_record_reply(case_id: int) -> Any:
    case = _case_or_404(case_id)
    live = _live(case)
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
