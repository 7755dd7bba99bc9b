"""Administration of departments."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from booking.services.directory import admin as directory
from booking.services.errors import ServiceError
from booking.services.meetings import overview as overview_service
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.forms.admin import DepartmentForm
from booking.web.forms.fields import options
from booking.web.messages import service_message
from booking.web.views.admin.common import actor, form_page, get_or_404
from booking.web_support import get_db, now


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
    return form_page("web/admin/department_form.html", form, department=None)


@web_bp.route("/admin/departments/<int:department_id>", methods=["GET", "POST"])
@requires("manage_directory")
def admin_department_edit(department_id: int) -> Any:
    department = get_or_404(directory.get_department, get_db(), department_id)
    form = _department_form(department)
    if form.validate_on_submit() and (done := _save_department(form, department_id)):
        return done
    return form_page("web/admin/department_form.html", form, department=department)
