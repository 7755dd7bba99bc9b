"""Shared by the follow-through pages: labels, form fields, Swedish date and number filters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    request,
)
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as BaseResponse

from booking.i18n import current_language
from booking.models import User
from booking.services.audit import Actor
from booking.services.errors import Forbidden, NotFound, ServiceError
from booking.services.followup.common import local_date, sv_date, sv_datetime
from booking.web import web_bp
from booking.web.auth import current_user
from booking.web.messages import service_message
from booking.web.svgchart import sv_number
from booking.web.views.followup.charts import nki_grade, term_label
from booking.web_support import get_db, now, settings

STATUS_LABELS = {"open": _l("Open"), "done": _l("Done"), "overdue": _l("Overdue")}
# A representative's answer to the invitation, beside their name in the minutes' attendance list.
ANSWER_LABELS = {
    "ACCEPTED": _l("yes"),
    "DECLINED": _l("no"),
    "TENTATIVE": _l("tentative"),
    "NEEDS-ACTION": _l("no answer"),
    "DELEGATED": _l("delegated"),
}
VERSION_LABELS = {
    "draft": _l("draft"),
    "approved": _l("approved"),
    "superseded": _l("superseded"),
}


def signed_in_user() -> User:
    user = current_user()
    if user is None:  # @requires ran first; this only narrows the type
        abort(401)
    return user


def current_actor() -> Actor:
    return Actor.of(signed_in_user())


def local_today() -> date:
    return local_date(now(), settings().forum_timezone)


def attempt(action: Callable[[], Any], back: str, done: str | None = None) -> BaseResponse:
    """Run a service call; 403/404 as pages, other service errors as a flash and a redirect."""
    try:
        action()
    except Forbidden as exc:
        abort(403, exc.message)
    except NotFound as exc:
        abort(404, exc.message)
    except ServiceError as exc:
        get_db().rollback()
        flash(service_message(exc), "error")
        return redirect(back)
    if done:
        flash(done, "success")
    return redirect(back)


def date_field(name: str) -> date | None:
    raw = request.form.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def int_field(name: str) -> int | None:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


@web_bp.app_template_filter("sv_date")
def sv_date_filter(day: date) -> str:
    return sv_date(day)


@web_bp.app_template_filter("sv_number")
def sv_number_filter(value: object) -> str:
    return sv_number(value)


@web_bp.app_template_filter("sv_datetime")
def sv_datetime_filter(at: Any) -> str:
    return sv_datetime(at, settings().forum_timezone)


@web_bp.app_template_filter("in_swedish")
def in_swedish_filter(text: object) -> Markup:
    """The follow-through's dates stay Swedish (sv_date, sv_datetime); on a page in another
    language they are marked as Swedish for screen readers."""
    if current_language() == "sv":
        return escape(text)
    return Markup('<span lang="sv">{}</span>').format(text)


web_bp.add_app_template_global(term_label, "term_label")
web_bp.add_app_template_global(nki_grade, "nki_grade")
