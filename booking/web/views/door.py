"""The door in for businesses (issue 14): the public request form of a forum, the confirmation
link, and the page where the business follows its request. No login."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, render_template, request

from booking.domain.vocabulary import RequestStatus
from booking.models import Forum
from booking.services.errors import Conflict, NotFound, ServiceError
from booking.services.intake import questions, triage
from booking.services.intake import requests as intake
from booking.services.meetings import overview as overview_service
from booking.services.preparation import guides
from booking.services.scheduling.sessions import get_forum
from booking.web import web_bp
from booking.web.forms.fields import options
from booking.web.forms.intake import RequestForm
from booking.web.messages import service_message
from booking.web.views.admin.common import get_or_404
from booking.web_support import get_db, now, settings

WEEKS_OFFERED = 10


def _forum_or_404(slug: str) -> Forum:
    forum: Forum = get_or_404(get_forum, get_db(), slug)
    return forum


def request_form(forum: Forum, formdata: bool) -> RequestForm:
    """The form, with the forum's coming Tuesdays that still have a free time to choose from."""
    form = RequestForm() if formdata else RequestForm(formdata=None)
    today = now().date()
    free = overview_service.free_slots(
        get_db(), forum.id, today + timedelta(days=7), today + timedelta(weeks=WEEKS_OFFERED)
    )
    days = sorted({s.starts_at.date() for s in free})
    from booking.i18n import long_date

    form.preferred_dates.choices = options([(d.isoformat(), long_date(d)) for d in days])
    return form


def request_data(form: RequestForm, language: str) -> dict[str, Any]:
    return {
        "category": form.category.data,
        "description": form.description.data or "",
        "place": form.place.data or "",
        "start_hope": form.start_hope.data or "",
        "org_name": form.org_name.data or "",
        "org_number": form.org_number.data or "",
        "contact_name": form.contact_name.data or "",
        "contact_email": (form.contact_email.data or "").strip(),
        "contact_phone": form.contact_phone.data or "",
        "questions": list(form.questions.data or []),
        "preferred_dates": list(form.preferred_dates.data or []),
        "language": language,
    }


def _page(forum: Forum, form: RequestForm, status: int = 200, **context: Any) -> Any:
    return render_template("web/door/request.html", forum=forum, form=form, **context), status


@web_bp.route("/forum/<slug>/boka", methods=["GET", "POST"])
def door_request(slug: str) -> Any:
    forum = _forum_or_404(slug)
    form = request_form(forum, formdata=request.method == "POST")
    if request.method == "GET":
        return _page(forum, form)
    if form.website.data:
        form.website.errors = ["Lämna fältet tomt. / Leave this field empty."]
        return _page(forum, form, 422)
    if not form.validate_on_submit():
        return _page(forum, form, 422)
    if not form.consent.data:
        form.consent.errors = [
            "Kryssa i att du har läst hur uppgifterna hanteras. "
            "/ Tick that you have read how your details are handled."
        ]
        return _page(forum, form, 422)
    from booking.i18n import current_language

    db = get_db()
    try:
        intake.submit_public(
            db,
            forum.slug,
            request_data(form, current_language()),
            request.remote_addr or "unknown",
            now(),
            settings().public_base_url,
        )
    except ServiceError as exc:
        db.rollback()
        form.form_errors.append(service_message(exc))
        return _page(forum, form, 429 if isinstance(exc, Conflict) else 422)
    return render_template("web/door/sent.html", forum=forum, email=form.contact_email.data)


@web_bp.get("/forum/<slug>/boka/<token>")
def door_confirm(slug: str, token: str) -> Any:
    forum = _forum_or_404(slug)
    try:
        intake.confirm(get_db(), token, now(), settings().public_base_url)
    except NotFound:
        abort(404)
    return render_template("web/door/confirmed.html", forum=forum)


@web_bp.get("/foretag/<token>")
def door_follow(token: str) -> Any:
    db = get_db()
    try:
        contact = intake.by_follow_token(db, token)
    except NotFound:
        abort(404)
    forum = db.get(Forum, contact.forum_id)
    return render_template(
        "web/door/follow.html",
        contact=contact,
        forum=forum,
        forwarded_to=triage.forwarded_department(db, contact),
        RequestStatus=RequestStatus,
        # What the departments will ask and what to bring, in the business's language.
        guide=guides.shown_guide(db, contact.forum_id, contact.category, contact.language),
    )


@web_bp.route("/foretag/svar/<int:request_id>/<int:question_id>/<token>", methods=["GET", "POST"])
def door_answer(request_id: int, question_id: int, token: str) -> Any:
    """The business answers the coordinator's question (the link in the question mail)."""
    db = get_db()
    secret = settings().secret_key
    try:
        contact, question = questions.open_question(db, request_id, question_id, token, secret)
    except NotFound:
        return render_template("web/door/answer_closed.html"), 404
    error = ""
    if request.method == "POST":
        try:
            questions.answer(
                db, request_id, question_id, token, request.form.get("answer", ""), now(),
                secret_key=secret,
            )  # fmt: skip
        except NotFound:
            return render_template("web/door/answer_closed.html"), 404
        except ServiceError as exc:
            db.rollback()
            error = service_message(exc)
        else:
            return render_template("web/door/answered.html", contact=contact)
    page = render_template(
        "web/door/answer.html", contact=contact, question=question, error=error,
        typed=request.form.get("answer", ""),
    )  # fmt: skip
    return page, 422 if error else 200
