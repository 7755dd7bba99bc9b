"""Administration: departments, representatives (absences, deputies), sessions, users."""

from __future__ import annotations

from typing import Any

from dateutil.relativedelta import relativedelta
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from booking.domain.vocabulary import Role, SessionStatus
from booking.services.access import api_tokens
from booking.services.audit import Actor
from booking.services.directory import admin as directory
from booking.services.errors import NotFound, ServiceError
from booking.services.meetings import overview as overview_service
from booking.services.scheduling import sessions as session_service
from booking.web import web_bp
from booking.web.auth import current_user, log_in, requires
from booking.web.forms import (
    AbsenceForm,
    ActionForm,
    CancelSessionForm,
    DepartmentForm,
    ExtraSessionForm,
    RepresentativeForm,
    UserForm,
    options,
)
from booking.web.messages import service_message
from booking.web.policy import can
from booking.web_support import get_db, now


def actor() -> Actor:
    user = current_user()
    assert user is not None  # every view here requires a login
    return Actor.of(user)


def _get_or_404(loader: Any, *args: Any) -> Any:
    try:
        return loader(*args)
    except NotFound:
        abort(404)


# ---------------------------------------------------------------- departments


@web_bp.get("/admin/departments")
@requires("view_directory")
def admin_departments() -> Any:
    departments = directory.list_departments(get_db())
    return render_template(
        "web/admin/departments.html", departments=departments, today=now().date()
    )


def _department_form(department: Any = None) -> DepartmentForm:
    form = DepartmentForm(obj=department)
    form.forums.choices = options([(f.id, f.name) for f in overview_service.forums(get_db())])
    if department is not None and request.method == "GET":
        form.areas.data = ", ".join(department.responsibility_areas or [])
        form.forums.data = [f.id for f in department.forums]
    return form


def _save_department(form: DepartmentForm, department_id: int | None) -> Response | None:
    data = directory.DepartmentData(
        name=form.name.data or "",
        slug=form.slug.data or "",
        kind=form.kind.data or "department",
        email=form.email.data or "",
        areas=(form.areas.data or "").split(","),
        capacity_per_session=form.capacity_per_session.data or 1,
        forum_ids=list(form.forums.data or []),
        active=bool(form.active.data),
    )
    try:
        directory.save_department(get_db(), department_id, data, actor(), now())
    except ServiceError as exc:
        get_db().rollback()
        form.form_errors.append(service_message(exc))
        return None
    flash(_("The department %(name)s is saved.", name=data.name), "success")
    return redirect(url_for("web.admin_departments"))


@web_bp.route("/admin/departments/new", methods=["GET", "POST"])
@requires("manage_directory")
def admin_department_new() -> Any:
    form = _department_form()
    if form.validate_on_submit() and (done := _save_department(form, None)):
        return done
    return _form_page("web/admin/department_form.html", form, department=None)


@web_bp.route("/admin/departments/<int:department_id>", methods=["GET", "POST"])
@requires("manage_directory")
def admin_department_edit(department_id: int) -> Any:
    department = _get_or_404(directory.get_department, get_db(), department_id)
    form = _department_form(department)
    if form.validate_on_submit() and (done := _save_department(form, department_id)):
        return done
    return _form_page("web/admin/department_form.html", form, department=department)


def _form_page(template: str, form: Any, **context: Any) -> tuple[str, int]:
    """A form page: 200 on first show, 422 when what was sent must be corrected."""
    status = 422 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


# ---------------------------------------------------------------- representatives


def _representative_form(representative: Any = None) -> RepresentativeForm:
    db = get_db()
    form = RepresentativeForm(obj=representative)
    form.department_id.choices = options([(d.id, d.name) for d in directory.list_departments(db)])
    users = [u for u in directory.list_users(db) if u.role == Role.REPRESENTATIVE]
    form.user_id.choices = options(
        [(0, _("No login"))] + [(u.id, f"{u.name} ({u.email})") for u in users]
    )
    if request.method == "GET":
        if representative is None and request.args.get("department", "").isdigit():
            form.department_id.data = int(request.args["department"])
        form.user_id.data = (representative.user_id if representative else None) or 0
    return form


def _save_representative(form: RepresentativeForm, rep_id: int | None) -> Response | None:
    data = directory.RepresentativeData(
        name=form.name.data or "",
        email=form.email.data or "",
        department_id=form.department_id.data or 0,
        is_deputy=bool(form.is_deputy.data),
        active=bool(form.active.data),
        user_id=form.user_id.data or None,
    )
    try:
        rep = directory.save_representative(get_db(), rep_id, data, actor(), now())
    except ServiceError as exc:
        get_db().rollback()
        form.form_errors.append(service_message(exc))
        return None
    flash(_("%(name)s is saved.", name=rep.name), "success")
    return redirect(url_for("web.admin_representative", representative_id=rep.id))


@web_bp.route("/admin/representatives/new", methods=["GET", "POST"])
@requires("manage_directory")
def admin_representative_new() -> Any:
    form = _representative_form()
    if form.validate_on_submit() and (done := _save_representative(form, None)):
        return done
    return _form_page("web/admin/representative.html", form, representative=None, absence_form=None)


@web_bp.route("/admin/representatives/<int:representative_id>", methods=["GET", "POST"])
@requires("manage_absences")
def admin_representative(representative_id: int) -> Any:
    representative = _get_or_404(directory.get_representative, get_db(), representative_id)
    form = _representative_form(representative)
    if request.method == "POST":
        if not can(current_user(), "manage_directory"):
            abort(403)
        if form.validate_on_submit() and (done := _save_representative(form, representative_id)):
            return done
    return _form_page(
        "web/admin/representative.html",
        form,
        representative=representative,
        absence_form=AbsenceForm(formdata=None),
        delete_form=ActionForm(formdata=None),
        today=now().date(),
    )


@web_bp.post("/admin/representatives/<int:representative_id>/absences")
@requires("manage_absences")
def admin_absence_add(representative_id: int) -> Any:
    representative = _get_or_404(directory.get_representative, get_db(), representative_id)
    form = AbsenceForm()
    if form.validate_on_submit():
        assert form.start_date.data is not None and form.end_date.data is not None
        try:
            directory.add_absence(
                get_db(),
                representative_id,
                form.start_date.data,
                form.end_date.data,
                form.reason.data or "",
                actor(),
                now(),
            )
        except ServiceError as exc:
            get_db().rollback()
            form.form_errors.append(service_message(exc))
        else:
            flash(_("The absence is saved."), "success")
            return redirect(
                url_for("web.admin_representative", representative_id=representative_id)
            )
    return (
        render_template(
            "web/admin/representative.html",
            form=_representative_form(representative),
            representative=representative,
            absence_form=form,
            delete_form=ActionForm(formdata=None),
            today=now().date(),
        ),
        422,
    )


@web_bp.post("/admin/absences/<int:absence_id>/delete")
@requires("manage_absences")
def admin_absence_delete(absence_id: int) -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    rep_id = _get_or_404(directory.remove_absence, get_db(), absence_id, actor(), now())
    flash(_("The absence is removed."), "success")
    return redirect(url_for("web.admin_representative", representative_id=rep_id))


# ---------------------------------------------------------------- sessions


SESSION_MONTHS = 6


def _sessions_page(
    cancel_form: CancelSessionForm | None = None,
    cancel_id: int | None = None,
    extra_form: ExtraSessionForm | None = None,
    status: int = 200,
) -> Any:
    db = get_db()
    forums = overview_service.forums(db)
    today = now().date()
    data = overview_service.coming_sessions(
        db, [f.id for f in forums], today, today + relativedelta(months=SESSION_MONTHS)
    )
    extra_form = extra_form or ExtraSessionForm(formdata=None)
    extra_form.forum.choices = options([(f.slug, f.name) for f in forums])
    return (
        render_template(
            "web/admin/sessions.html",
            data=data,
            extra_form=extra_form,
            cancel_form=cancel_form,
            cancel_id=cancel_id,
            today=today,
            SessionStatus=SessionStatus,
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


# ---------------------------------------------------------------- users


@web_bp.get("/admin/users")
@requires("manage_users")
def admin_users() -> Any:
    return render_template(
        "web/admin/users.html",
        users=directory.list_users(get_db()),
        now=now(),
        unlock_form=ActionForm(formdata=None),
    )


def _save_user(form: UserForm, user_id: int | None) -> Response | None:
    data = directory.UserData(
        name=form.name.data or "",
        email=form.email.data or "",
        role=form.role.data or "",
        active=bool(form.active.data),
        password=form.password.data or "",
    )
    try:
        user = directory.save_user(get_db(), user_id, data, actor(), now())
    except ServiceError as exc:
        get_db().rollback()
        form.form_errors.append(service_message(exc))
        return None
    if data.password and user_id is not None and user_id == actor().user_id:
        log_in(user)  # one's own new password ends one's other sessions, not this one
    flash(_("The user %(name)s is saved.", name=user.name), "success")
    return redirect(url_for("web.admin_users"))


@web_bp.route("/admin/users/new", methods=["GET", "POST"])
@requires("manage_users")
def admin_user_new() -> Any:
    form = UserForm()
    if form.validate_on_submit() and (done := _save_user(form, None)):
        return done
    return _form_page("web/admin/user_form.html", form, user=None)


@web_bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires("manage_users")
def admin_user_edit(user_id: int) -> Any:
    user = _get_or_404(directory.get_user, get_db(), user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit() and (done := _save_user(form, user_id)):
        return done
    return _form_page("web/admin/user_form.html", form, user=user)


@web_bp.post("/admin/users/<int:user_id>/unlock")
@requires("manage_users")
def admin_user_unlock(user_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    user = _get_or_404(directory.unlock_user, get_db(), user_id, actor(), now())
    flash(_("%(name)s can log in again.", name=user.name), "success")
    return redirect(url_for("web.admin_users"))


# ---------------------------------------------------------------- API tokens (issue 11)


@web_bp.get("/admin/tokens")
@requires("manage_users")
def admin_tokens() -> Any:
    user = current_user()
    return render_template("web/admin/tokens.html", tokens=api_tokens.list_tokens(get_db(), user))


@web_bp.post("/admin/tokens/<int:token_id>/revoke")
@requires("manage_users")
def admin_token_revoke(token_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    token = _get_or_404(_revoke_token, token_id)
    flash(_("The API token %(name)s is revoked.", name=token.name), "success")
    return redirect(url_for("web.admin_tokens"))


def _revoke_token(token_id: int) -> Any:
    return api_tokens.revoke_token(get_db(), token_id, now=now(), actor=actor())
