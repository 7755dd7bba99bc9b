"""The forum afternoons: cancel one with a reason, add an extra one, make one the term's
evaluation meeting."""

from __future__ import annotations

from typing import Any

from dateutil.relativedelta import relativedelta
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from booking.domain.vocabulary import SessionKind, SessionStatus
from booking.services.errors import NotFound, ServiceError
from booking.services.meetings import overview as overview_service
from booking.services.scheduling import evaluation as evaluation_service
from booking.services.scheduling import sessions as session_service
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.forms.admin import CancelSessionForm, EvaluationForm, ExtraSessionForm
from booking.web.forms.fields import options
from booking.web.forum_filter import chosen_forums
from booking.web.messages import service_message
from booking.web.paging import one_page, page_arg
from booking.web.views.admin.common import actor
from booking.web_support import get_db, now

SESSION_MONTHS = 6
SESSIONS_SHOWN = 40


def _sessions_page(
    cancel_form: CancelSessionForm | None = None,
    cancel_id: int | None = None,
    extra_form: ExtraSessionForm | None = None,
    status: int = 200,
    problem: str = "",
) -> Any:
    db = get_db()
    forums = overview_service.forums(db)
    chosen, selected = chosen_forums(forums)
    page = page_arg()
    today = now().date()
    # A county holds dozens of forums: a page of afternoons at a time, not six months of all.
    data = overview_service.coming_sessions(
        db,
        [f.id for f in selected],
        today,
        today + relativedelta(months=SESSION_MONTHS),
        limit=SESSIONS_SHOWN + 1,
        offset=(page - 1) * SESSIONS_SHOWN,
    )
    sessions, more = one_page(data.sessions, SESSIONS_SHOWN)
    extra_form = extra_form or ExtraSessionForm(formdata=None)
    extra_form.forum.choices = options([(f.slug, f.name) for f in forums])
    return (
        render_template(
            "web/admin/sessions.html",
            sessions=sessions,
            forums=forums,
            chosen=chosen,
            page=page,
            more=more,
            extra_form=extra_form,
            cancel_form=cancel_form,
            cancel_id=cancel_id,
            today=today,
            now=now(),
            SessionStatus=SessionStatus,
            SessionKind=SessionKind,
            problem=problem,
        ),
        status,
    )


@web_bp.get("/admin/sessions")
@requires("manage_sessions")
def admin_sessions() -> Any:
    return _sessions_page()


@web_bp.post("/admin/sessions/<int:session_id>/cancel")
@requires("manage_sessions")
def admin_session_cancel(session_id: int) -> Any:
    form = CancelSessionForm(prefix=f"s{session_id}")
    if form.validate_on_submit():
        try:
            session = session_service.cancel_session(
                get_db(), session_id, form.reason.data or "", actor()
            )
        except NotFound:
            abort(404)
        except ServiceError as exc:
            get_db().rollback()
            form.form_errors.append(service_message(exc))
        else:
            flash(
                _(
                    "The forum afternoon %(date)s is cancelled.",
                    date=session.local_date.isoformat(),
                ),
                "success",
            )
            return redirect(url_for("web.admin_sessions"))
    return _sessions_page(cancel_form=form, cancel_id=session_id, status=422)


@web_bp.post("/admin/sessions/extra")
@requires("manage_sessions")
def admin_session_extra() -> Any:
    db = get_db()
    form = ExtraSessionForm()
    form.forum.choices = options([(f.slug, f.name) for f in overview_service.forums(db)])
    if form.validate_on_submit():
        assert form.day.data and form.start_time.data and form.end_time.data
        try:
            forum = session_service.get_forum(db, form.forum.data or "")
            session = session_service.add_extra_session(
                db,
                forum,
                form.day.data,
                actor(),
                start_time=form.start_time.data,
                end_time=form.end_time.data,
                meeting_minutes=form.meeting_minutes.data or 60,
                buffer_minutes=form.buffer_minutes.data or 0,
                today=now().date(),
            )
        except ServiceError as exc:
            db.rollback()
            form.form_errors.append(service_message(exc))
        else:
            flash(
                _(
                    "An extra forum afternoon on %(date)s is added with %(n)s meeting times.",
                    date=session.local_date.isoformat(),
                    n=len(session.slots),
                ),
                "success",
            )
            return redirect(url_for("web.admin_sessions"))
    return _sessions_page(extra_form=form, status=422)


@web_bp.post("/admin/sessions/<int:session_id>/evaluation")
@requires("manage_sessions")
def admin_session_evaluation(session_id: int) -> Any:
    """Book the afternoon as the term's evaluation meeting: every representative invited."""
    form = EvaluationForm()
    if not form.validate_on_submit():
        return _sessions_page(status=400, problem=_("The form has expired. Try again."))
    try:
        booked = evaluation_service.book_evaluation(get_db(), session_id, actor(), now=now())
    except NotFound:
        abort(404)
    except ServiceError as exc:
        get_db().rollback()
        return _sessions_page(status=exc.status, problem=service_message(exc))
    flash(
        _(
            "The afternoon of %(date)s is the evaluation meeting of %(term)s: "
            "%(n)s representatives are invited.",
            date=booked.day.isoformat(),
            term=booked.term.label_sv.lower(),
            n=booked.invited,
        ),
        "success",
    )
    return redirect(url_for("web.case_detail", case_id=booked.case.id))
