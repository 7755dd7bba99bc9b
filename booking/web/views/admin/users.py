"""Administration of users (roles, unlock)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from booking.services.directory import admin as directory
from booking.services.errors import ServiceError
from booking.web import web_bp
from booking.web.auth import log_in, requires
from booking.web.forms.account import ActionForm
from booking.web.forms.admin import UserForm
from booking.web.messages import service_message
from booking.web.views.admin.common import actor, form_page, get_or_404
from booking.web_support import get_db, now


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
    return form_page("web/admin/user_form.html", form, user=None)


@web_bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires("manage_users")
def admin_user_edit(user_id: int) -> Any:
    user = get_or_404(directory.get_user, get_db(), user_id)
    form = UserForm(obj=user)
    if request.method == "GET":
        form.role.data = user.role.value
    if form.validate_on_submit() and (done := _save_user(form, user_id)):
        return done
    return form_page("web/admin/user_form.html", form, user=user)


@web_bp.post("/admin/users/<int:user_id>/unlock")
@requires("manage_users")
def admin_user_unlock(user_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    user = get_or_404(directory.unlock_user, get_db(), user_id, actor(), now())
    flash(_("%(name)s can log in again.", name=user.name), "success")
    return redirect(url_for("web.admin_users"))
