"""Forums, their series and pauses, set up by an administrator (issue 15)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from booking.models import Forum, SessionSeries
from booking.services.errors import ServiceError
from booking.services.meetings import overview as overview_service
from booking.services.scheduling import forums as forum_service
from booking.services.scheduling import pauses as pause_service
from booking.services.scheduling import series as series_service
from booking.services.scheduling.sessions import ExtendResult
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.forms.admin import ForumForm, PauseForm, SeriesForm
from booking.web.views.admin.common import actor, get_or_404, show_problems
from booking.web_support import get_db, now, settings


def _kept_message(result: ExtendResult) -> None:
    """Name the booked afternoons a change left alone (it never moves a booked one)."""
    if result.kept_booked_dates:
        dates = ", ".join(d.isoformat() for d in sorted(set(result.kept_booked_dates)))
        flash(
            _(
                "These afternoons hold meetings and were left as they were: %(dates)s. "
                "Move or cancel the meetings first if they must change.",
                dates=dates,
            ),
            "warning",
        )


# ---------------------------------------------------------------- forums


@web_bp.get("/admin/forums")
@requires("manage_forums")
def admin_forums() -> Any:
    return render_template("web/admin/forums.html", forums=overview_service.forums(get_db()))


def _forum_data(form: ForumForm) -> forum_service.ForumData:
    return forum_service.ForumData(
        name=form.name.data or "",
        slug=(form.slug.data or "").strip(),
        municipality=form.municipality.data or "",
        location=form.location.data or "",
        organizer_email=form.organizer_email.data or "",
        timezone=(form.timezone.data or "").strip(),
        contact_text=form.contact_text.data or "",
    )


def _forum_page(form: ForumForm, forum: Forum | None) -> Any:
    status = 422 if request.method == "POST" else 200
    return render_template("web/admin/forum_form.html", form=form, forum=forum), status


@web_bp.route("/admin/forums/new", methods=["GET", "POST"])
@requires("manage_forums")
def admin_forum_new() -> Any:
    form = ForumForm()
    if form.validate_on_submit():
        try:
            forum = forum_service.save_forum(get_db(), None, _forum_data(form), actor(), now())
        except ServiceError as exc:
            get_db().rollback()
            show_problems(form, exc)
        else:
            flash(_("The forum %(name)s is created. Now give it a series.", name=forum.name))
            return redirect(url_for("web.admin_series_new", forum_id=forum.id))
    return _forum_page(form, None)


@web_bp.route("/admin/forums/<int:forum_id>", methods=["GET", "POST"])
@requires("manage_forums")
def admin_forum_edit(forum_id: int) -> Any:
    forum = get_or_404(forum_service.get_forum_by_id, get_db(), forum_id)
    form = ForumForm(obj=forum)
    if form.validate_on_submit():
        try:
            forum_service.save_forum(get_db(), forum_id, _forum_data(form), actor(), now())
        except ServiceError as exc:
            get_db().rollback()
            show_problems(form, exc)
        else:
            flash(_("The forum %(name)s is saved.", name=forum.name), "success")
            return redirect(url_for("web.admin_forum_edit", forum_id=forum_id))
    return _forum_page(form, forum)


# ---------------------------------------------------------------- series


def _series_data(form: SeriesForm) -> series_service.SeriesData:
    return series_service.SeriesData(
        weekday=int(form.weekday.data or 0),
        anchor_date=form.anchor_date.data,
        every_weeks=int(form.every_weeks.data or 0),
        start_time=form.start_time.data,
        end_time=form.end_time.data,
        meeting_minutes=int(form.meeting_minutes.data or 0),
        buffer_minutes=int(form.buffer_minutes.data or 0),
        name=form.name.data or "",
        active=bool(form.active.data),
    )


def _series_page(
    form: SeriesForm,
    forum: Forum,
    series: SessionSeries | None,
    preview: series_service.Preview | None = None,
    pause_form: PauseForm | None = None,
) -> Any:
    status = 422 if request.method == "POST" and (form.errors or form.form_errors) else 200
    return (
        render_template(
            "web/admin/series_form.html",
            form=form,
            forum=forum,
            series=series,
            preview=preview,
            pause_form=pause_form or PauseForm(formdata=None),
        ),
        status,
    )


def _series_form(forum: Forum, series: SessionSeries | None) -> SeriesForm:
    if request.method == "POST":
        return SeriesForm()
    if series is not None:
        return SeriesForm(formdata=None, obj=series_service.data_of(series))
    form = SeriesForm(formdata=None)
    form.anchor_date.data = series_service.next_weekday(now().date(), 1)
    return form


def _series_post(forum: Forum, series: SessionSeries | None, form: SeriesForm) -> Any:
    """Preview (nothing written) or save; a refusal keeps everything typed."""
    db = get_db()
    series_id = series.id if series is not None else None
    if not form.validate():
        return _series_page(form, forum, series)
    data = _series_data(form)
    try:
        if form.preview.data:
            shown = series_service.preview(db, forum, data, now().date(), series_id=series_id)
            return _series_page(form, forum, series, preview=shown)
        saved, result = series_service.save_series(
            db, forum, series_id, data, actor(), now(), settings().session_horizon_months
        )
    except ServiceError as exc:
        db.rollback()
        show_problems(form, exc)
        return _series_page(form, forum, series)
    flash(_("The series is saved and the afternoons are planned."), "success")
    _kept_message(result)
    return redirect(url_for("web.admin_series_edit", series_id=saved.id))


@web_bp.route("/admin/forums/<int:forum_id>/series/new", methods=["GET", "POST"])
@requires("manage_forums")
def admin_series_new(forum_id: int) -> Any:
    forum = get_or_404(forum_service.get_forum_by_id, get_db(), forum_id)
    form = _series_form(forum, None)
    if request.method == "POST":
        return _series_post(forum, None, form)
    return _series_page(form, forum, None)


@web_bp.route("/admin/series/<int:series_id>", methods=["GET", "POST"])
@requires("manage_forums")
def admin_series_edit(series_id: int) -> Any:
    series = get_or_404(series_service.get_series, get_db(), series_id)
    form = _series_form(series.forum, series)
    if request.method == "POST":
        return _series_post(series.forum, series, form)
    return _series_page(form, series.forum, series)


# ---------------------------------------------------------------- pauses


@web_bp.post("/admin/series/<int:series_id>/pauses")
@requires("manage_forums")
def admin_pause_add(series_id: int) -> Any:
    db = get_db()
    series = get_or_404(series_service.get_series, db, series_id)
    pause_form = PauseForm()
    if pause_form.validate_on_submit():
        try:
            _pause, result = pause_service.add_pause(
                db,
                series_id,
                pause_form.start_date.data,
                pause_form.end_date.data,
                pause_form.reason.data or "",
                bool(pause_form.yearly.data),
                actor(),
                now(),
                settings().session_horizon_months,
            )
        except ServiceError as exc:
            db.rollback()
            show_problems(pause_form, exc)
        else:
            flash(_("The pause is added; its afternoons are skipped."), "success")
            _kept_message(result)
            return redirect(url_for("web.admin_series_edit", series_id=series_id))
    series = get_or_404(series_service.get_series, db, series_id)
    form = SeriesForm(formdata=None, obj=series_service.data_of(series))
    page, _status = _series_page(form, series.forum, series, pause_form=pause_form)
    return page, 422


@web_bp.post("/admin/pauses/<int:pause_id>/delete")
@requires("manage_forums")
def admin_pause_delete(pause_id: int) -> Any:
    from booking.models import PausePeriod

    db = get_db()
    pause = db.get(PausePeriod, pause_id)
    if pause is None:
        abort(404)
    series_id = pause.series_id
    try:
        result = pause_service.remove_pause(
            db, pause_id, actor(), now(), settings().session_horizon_months
        )
    except ServiceError as exc:
        db.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("The pause is removed; its afternoons are held again."), "success")
        _kept_message(result)
    return redirect(url_for("web.admin_series_edit", series_id=series_id))
