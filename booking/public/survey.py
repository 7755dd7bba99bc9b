"""The NKI survey link ``/s/<token>``: a short form, answered once, no login.

GET only shows the form (mail scanners open links); the answer is a POST to the same URL.
"""

from __future__ import annotations

from flask import abort, render_template, request

from booking.domain.nki import NKI_QUESTIONS, SERVICE_FACTORS
from booking.models import Survey
from booking.public import public_bp
from booking.public.messages import field_problems, public_message
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.followup import surveys as survey_service
from booking.web_support import get_db, now


def _survey(token: str) -> Survey:
    try:
        return survey_service.by_token(get_db(), token)
    except NotFound:
        abort(404)


def _page(survey: Survey, token: str, **extra: object) -> str:
    return render_template(
        "public/survey.html",
        survey=survey,
        token=token,
        questions=survey_service.QUESTIONS,
        factors=survey_service.FACTORS,
        scale=range(1, survey.scale + 1),
        values=extra.pop("values", {}),
        **extra,
    )


def _value(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


@public_bp.get("/s/<token>")
def survey_form(token: str) -> str:
    survey = _survey(token)
    return _page(survey, token, answered=survey.answered_at is not None)


@public_bp.post("/s/<token>")
def survey_submit(token: str) -> tuple[str, int]:
    survey = _survey(token)
    values = {name: _value(name) for name in (*NKI_QUESTIONS, *SERVICE_FACTORS)}
    comment = request.form.get("comment", "")
    try:
        survey_service.submit(get_db(), token, survey_service.AnswerInput(values, comment), now())
    except Conflict:
        return _page(survey, token, answered=True), 409
    except Invalid as exc:
        get_db().rollback()
        page = _page(
            survey,
            token,
            answered=False,
            error=public_message(exc),
            errors=field_problems(exc.details),
            values=values,
        )
        return page, 422
    return _page(survey, token, answered=True, thanks=True), 200
