"""Coordinator pages of the follow-through: minutes, timeline, overdue list, statistics.

Thin views: parse the form, call a service, show the result. Service errors come back as a
flashed message (422/409) or a 403/404 page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as BaseResponse

from booking.domain.terms import Term, TermError, parse_term, term_of
from booking.i18n import current_language
from booking.models import Case, FollowUpPoint, Meeting, Minutes, User
from booking.services.audit import Actor
from booking.services.errors import Forbidden, Invalid, NotFound, ServiceError
from booking.services.followup import minutes as minutes_svc
from booking.services.followup import points as followups
from booking.services.followup import statistics
from booking.services.followup.common import local_date, sv_date, sv_datetime
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.messages import service_message
from booking.web.svgchart import sv_number
from booking.web.views.followup_charts import nki_grade, statistics_charts, term_label
from booking.web_support import get_db, now, policies, settings

STATUS_LABELS = {"open": _l("Open"), "done": _l("Done"), "overdue": _l("Overdue")}
# A representative's answer to the invitation, beside their name in the minutes' attendance list.
ANSWER_LABELS = {
    "ACCEPTED": _l("yes"),
    "DECLINED": _l("no"),
    "TENTATIVE": _l("tentative"),
    "NEEDS-ACTION": _l("no answer"),
    "DELEGATED": _l("delegated"),
}
VERSION_LABELS = {
    "draft": _l("draft"),
    "approved": _l("approved"),
    "superseded": _l("superseded"),
}


def _user() -> User:
    user = current_user()
    if user is None:  # @requires ran first; this only narrows the type
        abort(401)
    return user


def _actor() -> Actor:
    return Actor.of(_user())


def _today() -> date:
    return local_date(now(), settings().forum_timezone)


def _attempt(action: Callable[[], Any], back: str, done: str | None = None) -> BaseResponse:
    """Run a service call; 403/404 as pages, other service errors as a flash and a redirect."""
    try:
        action()
    except Forbidden as exc:
        abort(403, exc.message)
    except NotFound as exc:
        abort(404, exc.message)
    except ServiceError as exc:
        get_db().rollback()
        flash(service_message(exc), "error")
        return redirect(back)
    if done:
        flash(done, "success")
    return redirect(back)


def _date_field(name: str) -> date | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _int_field(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


@web_bp.app_template_filter("sv_date")
def _sv_date_filter(day: date) -> str:
    return sv_date(day)


@web_bp.app_template_filter("sv_number")
def _sv_number_filter(value: object) -> str:
    return sv_number(value)


@web_bp.app_template_filter("sv_datetime")
def _sv_datetime_filter(at: Any) -> str:
    return sv_datetime(at, settings().forum_timezone)


@web_bp.app_template_filter("in_swedish")
def _in_swedish_filter(text: object) -> Markup:
    """The follow-through's dates stay Swedish (sv_date, sv_datetime); on a page in another
    language they are marked as Swedish for screen readers."""
    if current_language() == "sv":
        return escape(text)
    return Markup('<span lang="sv">{}</span>').format(text)


web_bp.add_app_template_global(term_label, "term_label")
web_bp.add_app_template_global(nki_grade, "nki_grade")


# ---------------------------------------------------------------- minutes


def _meeting_for_minutes(meeting_id: int) -> Meeting:
    meeting = get_db().get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    actor = _actor()
    if not (minutes_svc.may_edit(actor, meeting) or minutes_svc.may_approve(actor, meeting)):
        abort(403)
    return meeting


@web_bp.get("/meetings/<int:meeting_id>/minutes")
@requires()
def followup_minutes(meeting_id: int) -> str:
    meeting = _meeting_for_minutes(meeting_id)
    db = get_db()
    actor = _actor()
    draft = minutes_svc.current_draft(db, meeting.id)
    return render_template(
        "followup/minutes.html",
        meeting=meeting,
        case=meeting.case,
        draft=draft,
        approved=minutes_svc.current_approved(db, meeting.id),
        versions=minutes_svc.versions(db, meeting.id),
        may_edit=minutes_svc.may_edit(actor, meeting),
        may_approve=minutes_svc.may_approve(actor, meeting),
        departments=sorted(
            {a.department for a in meeting.attendees} | set(meeting.case.departments),
            key=lambda d: d.name,
        ),
        blank_rows=3,
        answer_labels=ANSWER_LABELS,
        version_labels=VERSION_LABELS,
    )


@web_bp.post("/meetings/<int:meeting_id>/minutes/start")
@requires()
def followup_minutes_start(meeting_id: int) -> BaseResponse:
    back = url_for("web.followup_minutes", meeting_id=meeting_id)
    return _attempt(lambda: minutes_svc.start(get_db(), meeting_id, _actor(), now()), back)


def _minutes_form(minutes: Minutes) -> minutes_svc.MinutesInput:
    points: list[minutes_svc.ActionPointInput] = []
    for i in range(len(minutes.action_points) + 3):
        title = request.form.get(f"ap_title_{i}", "").strip()
        if not title:
            continue
        due = _date_field(f"ap_due_{i}")
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
                owner_department_id=_int_field(f"ap_dep_{i}"),
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
def followup_minutes_save(minutes_id: int) -> BaseResponse:
    db = get_db()
    minutes = db.get(Minutes, minutes_id) or abort(404)
    back = url_for("web.followup_minutes", meeting_id=minutes.meeting_id)
    return _attempt(
        lambda: minutes_svc.save_draft(db, minutes_id, _minutes_form(minutes), _actor(), now()),
        back,
        _("The draft is saved."),
    )


@web_bp.post("/minutes/<int:minutes_id>/approve")
@requires()
def followup_minutes_approve(minutes_id: int) -> BaseResponse:
    db = get_db()
    minutes = db.get(Minutes, minutes_id) or abort(404)
    back = url_for("web.followup_minutes", meeting_id=minutes.meeting_id)
    return _attempt(
        lambda: minutes_svc.approve(db, minutes_id, _actor(), now(), policies().followup),
        back,
        _("The minutes are approved and sent."),
    )


@web_bp.post("/meetings/<int:meeting_id>/minutes/correction")
@requires()
def followup_minutes_correction(meeting_id: int) -> BaseResponse:
    back = url_for("web.followup_minutes", meeting_id=meeting_id)
    reason = request.form.get("reason", "")
    return _attempt(
        lambda: minutes_svc.start_correction(get_db(), meeting_id, reason, _actor(), now()),
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


# ---------------------------------------------------------------- timeline and overdue list


def _point_form() -> followups.PointInput:
    due = _date_field("due_date")
    if due is None:
        raise Invalid(_("Enter the due date as YYYY-MM-DD."), {"due_date": "required"})
    return followups.PointInput(
        title=request.form.get("title", ""),
        due_date=due,
        owner_department_id=_int_field("owner_department_id"),
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
    rows = followups.timeline(db, case.id, _today())
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
    return _attempt(
        lambda: followups.add_point(get_db(), case_id, _point_form(), _actor(), now()),
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
    return _attempt(
        lambda: followups.update_point(get_db(), point_id, _point_form(), _actor(), now()),
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
    return _attempt(
        lambda: followups.mark_done(get_db(), point_id, _actor(), now()),
        back,
        _("Marked as done."),
    )


@web_bp.post("/followup/points/<int:point_id>/reopen")
@requires("edit_cases")
def followup_point_reopen(point_id: int) -> BaseResponse:
    back = url_for("web.followup_timeline", case_id=_point_case(point_id))
    return _attempt(lambda: followups.reopen(get_db(), point_id, _actor(), now()), back)


@web_bp.post("/cases/<int:case_id>/close")
@requires("edit_cases")
def followup_case_close(case_id: int) -> BaseResponse:
    back = url_for("web.followup_timeline", case_id=case_id)
    note = request.form.get("note", "")
    return _attempt(
        lambda: followups.close_case(get_db(), case_id, _actor(), now(), note),
        back,
        _("The case is closed."),
    )


@web_bp.get("/followup/overdue")
@requires("edit_cases")
def followup_overdue() -> str:
    today = _today()
    return render_template(
        "followup/overdue.html", points=followups.overdue(get_db(), today), today=today
    )


# ---------------------------------------------------------------- statistics


def _term_arg() -> Term:
    raw = request.args.get("term", "")
    if not raw:
        return term_of(_today())
    try:
        return parse_term(raw)
    except TermError as exc:
        abort(400, str(exc))


@web_bp.get("/statistics")
@requires("view_cases")
def followup_statistics() -> str:
    term = _term_arg()
    stats = statistics.compute(get_db(), term, timezone=settings().forum_timezone)
    current = term_of(_today())
    choices = [current]
    for _step in range(5):
        choices.append(choices[-1].previous())
    if term not in choices:
        choices.insert(0, term)
    return render_template(
        "followup/statistics.html",
        stats=stats,
        term=term,
        choices=choices,
        charts=statistics_charts(stats, term),
    )


@web_bp.get("/statistics.csv")
@requires("view_cases")
def followup_statistics_csv() -> Response:
    term = _term_arg()
    stats = statistics.compute(get_db(), term, timezone=settings().forum_timezone)
    # Default: the Swedish Excel form (semicolon, decimal comma); ?format=csv-en: comma, point,
    # English keys for scripts. Both UTF-8 with BOM, which makes Excel read å, ä and ö.
    if request.args.get("format") == "csv-en":
        text, filename = statistics.to_csv(stats), f"statistics-{term.key}.csv"
    else:
        text, filename = statistics.to_csv_sv(stats), f"statistik-{term.key}.csv"
    return Response(
        "\ufeff" + text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
