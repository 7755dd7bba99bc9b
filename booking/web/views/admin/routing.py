"""Routing rules (/admin/routing): which departments a request's category and questions call
for, so that whoever receives a contact, specialist or not, gets the departments right."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from booking.domain.vocabulary import BUSINESS_CATEGORIES, REQUEST_QUESTIONS
from booking.services.directory.admin import list_departments
from booking.services.errors import ServiceError
from booking.services.intake import routing
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.forms.account import ActionForm
from booking.web.forms.admin import RoutingRuleForm
from booking.web.labels import category_label, question_label
from booking.web.messages import service_message
from booking.web.views.admin.common import actor, get_or_404
from booking.web_support import get_db, now


def match_label(match: str) -> str:
    kind, _sep, value = match.partition(":")
    if kind == "category":
        return str(_("Category: %(name)s", name=category_label(value)))
    return str(_("Question: %(name)s", name=question_label(value)))


def _form() -> RoutingRuleForm:
    form = RoutingRuleForm()
    matches = [f"category:{c.value}" for c in BUSINESS_CATEGORIES]
    matches += [f"question:{q}" for q in REQUEST_QUESTIONS]
    form.match.choices = [("", _("Choose…"))] + [(m, match_label(m)) for m in matches]
    form.department_id.choices = [(0, _("Choose…"))] + [
        (d.id, d.name) for d in list_departments(get_db()) if d.active
    ]
    return form


def _page(form: RoutingRuleForm, status: int = 200) -> tuple[str, int]:
    db = get_db()
    names = {d.id: d.name for d in list_departments(db)}
    return render_template(
        "web/admin/routing.html",
        form=form,
        rules=routing.rules(db),
        names=names,
        match_label=match_label,
    ), status


@web_bp.route("/admin/routing", methods=["GET", "POST"])
@requires("manage_directory")
def admin_routing() -> Any:
    form = _form()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        routing.create_rule(
            get_db(), form.match.data or "", int(form.department_id.data or 0),
            actor=actor(), now=now(),
        )  # fmt: skip
    except ServiceError as exc:
        get_db().rollback()
        form.form_errors.append(service_message(exc))
        return _page(form, 422)
    flash(_("The rule is added."), "success")
    return redirect(url_for("web.admin_routing"))


@web_bp.post("/admin/routing/<int:rule_id>/remove")
@requires("manage_directory")
def admin_routing_remove(rule_id: int) -> Response:
    if not ActionForm().validate_on_submit():
        abort(400)
    get_or_404(_remove, rule_id)
    flash(_("The rule is removed."), "success")
    return redirect(url_for("web.admin_routing"))


def _remove(rule_id: int) -> Any:
    return routing.remove_rule(get_db(), rule_id, actor=actor(), now=now())
