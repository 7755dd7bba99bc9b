"""Registering a case and editing its details (departments of a booked case included)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from booking.domain.visibility import ConsentScope
from booking.domain.vocabulary import CaseStatus
from booking.models import Case
from booking.services.cases import registry as case_service
from booking.services.errors import ServiceError
from booking.services.meetings import overview as overview_service
from booking.web import web_bp
from booking.web.auth import requires
from booking.web.forms.cases import (
    CaseForm,
)
from booking.web.forms.fields import options
from booking.web.messages import service_message
from booking.web.views.admin.common import actor
from booking.web.views.cases.common import all_departments, case_or_404
from booking.web_support import get_db, now


def _department_choices(case: Case | None = None) -> list[Any]:
    departments = [d for d in all_departments() if d.active or (case and d in case.departments)]
    return options(
        [(d.id, f"{d.name} ({', '.join(f.name for f in d.forums)})") for d in departments]
    )


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
    case = case_or_404(case_id)
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
