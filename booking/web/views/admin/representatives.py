"""Administration of representatives, their absences and deputies."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from booking.domain.vocabulary import Role
from booking.models import Absence
from booking.services.directory import admin as directory
from booking.services.errors import ServiceError
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.forms.account import ActionForm
from booking.web.forms.admin import AbsenceForm, RepresentativeForm
from booking.web.forms.fields import options
from booking.web.messages import service_message
from booking.web.policy import can
from booking.web.views.admin.common import actor, form_page, get_or_404
from booking.web_support import get_db, now


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
    return form_page("web/admin/representative.html", form, representative=None, absence_form=None)


@web_bp.route("/admin/representatives/<int:representative_id>", methods=["GET", "POST"])
@requires("manage_absences")
def admin_representative(representative_id: int) -> Any:
    representative = get_or_404(directory.get_representative, get_db(), representative_id)
    form = _representative_form(representative)
    if request.method == "POST":
        if not can(current_user(), "manage_directory"):
            abort(403)
        if form.validate_on_submit() and (done := _save_representative(form, representative_id)):
            return done
    return form_page(
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
    representative = get_or_404(directory.get_representative, get_db(), representative_id)
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


@web_bp.get("/admin/absences/<int:absence_id>/delete")
@requires("manage_absences")
def admin_absence_delete_confirm(absence_id: int) -> Any:
    """Removing an absence is asked once more: the representative may be proposed again."""
    absence = get_db().get(Absence, absence_id) or abort(404)
    return render_template("web/admin/absence_delete.html", absence=absence, form=ActionForm())


@web_bp.post("/admin/absences/<int:absence_id>/delete")
@requires("manage_absences")
def admin_absence_delete(absence_id: int) -> Response:
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    if request.form.get("confirm") != "yes":  # not from the confirmation page: ask first
        return redirect(url_for("web.admin_absence_delete_confirm", absence_id=absence_id), 303)
    rep_id = get_or_404(directory.remove_absence, get_db(), absence_id, actor(), now())
    flash(_("The absence is removed."), "success")
    return redirect(url_for("web.admin_representative", representative_id=rep_id))
