"""Requests inside the municipality (issue 14): anyone signed in passes a contact on and sees
what became of the contacts they passed on; coordinators triage the queue."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from booking.services.directory.admin import list_departments
from booking.services.errors import NotFound, ServiceError
from booking.services.intake import questions, routing, triage
from booking.services.intake import requests as intake
from booking.services.meetings import overview as overview_service
from booking.web import web_bp
from booking.web.auth import current_user, requires
from booking.web.messages import service_message
from booking.web.paging import one_page, page_arg
from booking.web.views.admin.common import actor
from booking.web.views.door import request_data, request_form
from booking.web_support import get_db, now, settings

# Rows per page of the queue and of "contacts you passed on".
QUEUE = 100
MINE = 100


@web_bp.route("/intake/new", methods=["GET", "POST"])
@requires("pass_on_contact")
def intake_pass_on() -> Any:
    forums = overview_service.forums(get_db())
    slug = request.values.get("forum") or (forums[0].slug if forums else "")
    forum = next((f for f in forums if f.slug == slug), None)
    if forum is None:
        abort(404)
    form = request_form(forum, formdata=request.method == "POST")
    if request.method == "POST" and form.validate_on_submit():
        user = current_user()
        assert user is not None
        try:
            intake.submit_staff(
                get_db(),
                forum.slug,
                request_data(form, "sv"),
                user,
                form.consent_note.data or "",
                now(),
                settings().public_base_url,
            )
        except ServiceError as exc:
            get_db().rollback()
            form.form_errors.append(service_message(exc))
        else:
            flash(_("The contact is passed on to the forum's coordinator. Thank you!"), "success")
            return redirect(url_for("web.intake_mine"))
    status = 422 if request.method == "POST" else 200
    return render_template("web/intake/pass_on.html", form=form, forum=forum, forums=forums), status


@web_bp.get("/intake/mine")
@requires("pass_on_contact")
def intake_mine() -> Any:
    user = current_user()
    assert user is not None
    page = page_arg()
    contacts, more = one_page(
        intake.passed_on_by(get_db(), user.id, limit=MINE + 1, offset=(page - 1) * MINE), MINE
    )
    return render_template(
        "web/intake/mine.html",
        contacts=contacts,
        outcomes=triage.outcomes(get_db(), contacts),
        page=page,
        more=more,
    )


@web_bp.get("/intake")
@requires("triage")
def intake_queue() -> Any:
    page = page_arg()
    contacts, more = one_page(
        triage.queue(get_db(), limit=QUEUE + 1, offset=(page - 1) * QUEUE), QUEUE
    )
    return render_template(
        "web/intake/queue.html", contacts=contacts, now=now(), page=page, more=more
    )


def _detail(request_id: int, status: int = 200, error: str = "") -> Any:
    db = get_db()
    try:
        contact = triage.get_request(db, request_id)
    except NotFound:
        abort(404)
    suggested = routing.suggest(db, contact.forum_id, contact.category.value, contact.questions)
    departments = [
        d
        for d in list_departments(db)
        if d.active and any(f.id == contact.forum_id for f in d.forums)
    ]
    return render_template(
        "web/intake/detail.html",
        contact=contact,
        suggested={d.id for d in suggested},
        departments=departments,
        error=error,
        case=triage.with_case(db, contact),
        thread=questions.thread(db, contact.id),
        typed=request.form if request.method == "POST" else {},
        forwarded_to=triage.forwarded_department(db, contact),
    ), status


@web_bp.get("/intake/<int:request_id>")
@requires("triage")
def intake_detail(request_id: int) -> Any:
    return _detail(request_id)


@web_bp.post("/intake/<int:request_id>/accept")
@requires("triage")
def intake_accept(request_id: int) -> Any:
    ids = [int(v) for v in request.form.getlist("department_ids") if v.isdigit()]
    try:
        case = triage.accept(get_db(), request_id, ids, actor(), now())
    except NotFound:
        abort(404)
    except ServiceError as exc:
        get_db().rollback()
        return _detail(request_id, 409 if exc.code == "conflict" else 422, service_message(exc))
    flash(_("The request is case %(ref)s. Book it now.", ref=case.reference), "success")
    return redirect(url_for("web.case_book", case_id=case.id))


@web_bp.post("/intake/<int:request_id>/decline")
@requires("triage")
def intake_decline(request_id: int) -> Any:
    return _act(
        request_id,
        lambda: triage.decline(
            get_db(), request_id, request.form.get("reason", ""), actor(), now()
        ),
        _("The request is declined; the business is told why."),
    )


def _act(request_id: int, action: Any, done_message: str) -> Any:
    """Run one triage step; a refusal shows the request again with the reason (4xx)."""
    try:
        action()
    except NotFound:
        abort(404)
    except ServiceError as exc:
        get_db().rollback()
        return _detail(request_id, 409 if exc.code == "conflict" else 422, service_message(exc))
    flash(done_message, "success")
    return redirect(url_for("web.intake_queue"))


@web_bp.post("/intake/<int:request_id>/ask")
@requires("triage")
def intake_ask(request_id: int) -> Any:
    return _act(
        request_id,
        lambda: questions.ask(
            get_db(), request_id, request.form.get("question", ""), actor(), now(),
            base_url=settings().public_base_url, secret_key=settings().secret_key,
        ),
        _("The question is sent; the request comes back here when the business answers."),
    )  # fmt: skip


@web_bp.post("/intake/<int:request_id>/forward")
@requires("triage")
def intake_forward(request_id: int) -> Any:
    department_id = request.form.get("department_id", "")
    return _act(
        request_id,
        lambda: triage.forward(
            get_db(), request_id, int(department_id) if department_id.isdigit() else 0,
            request.form.get("note", ""), actor(), now(),
        ),
        _("The request is handed to the department; the business is told who contacts it."),
    )  # fmt: skip
