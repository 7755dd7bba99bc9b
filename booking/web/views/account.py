"""Log in, log out, change language."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from booking.i18n import LANGUAGES
from booking.services.access import login as login_service
from booking.web import web_bp
from booking.web.auth import current_user, log_in, log_out, safe_next
from booking.web.forms.account import ActionForm, LanguageForm, LoginForm
from booking.web.policy import can
from booking.web.ratelimit import login_attempt_allowed
from booking.web.views import sso
from booking.web_support import get_db, now, settings


def home_for_user() -> str:
    user = current_user()
    if user is not None and can(user, "my_meetings") and not can(user, "view_cases"):
        return url_for("web.my_meetings")
    if user is not None and not can(user, "view_overview"):
        return url_for("web.intake_mine")  # a receiver: the contacts they passed on
    return url_for("web.overview")


@web_bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user() is not None and request.method == "GET":
        return redirect(home_for_user())
    form = LoginForm()
    status = 200
    if request.method == "POST" and not settings().local_passwords:
        # Passwords kept here are turned off (LOCAL_PASSWORDS=off): only single sign-on.
        form.form_errors.append(
            _("Logging in with a password is turned off. Log in with the municipality's account.")
        )
        return render_template("web/login.html", form=form), 403
    if form.validate_on_submit():
        verdict = login_attempt_allowed()
        if not verdict.allowed:
            minutes = max(1, verdict.retry_after // 60 + 1)
            form.form_errors.append(
                _(
                    "Too many attempts from your address. Try again in %(minutes)s minutes.",
                    minutes=minutes,
                )
            )
            return render_template("web/login.html", form=form), 429
        cfg = settings()
        result = login_service.authenticate(
            get_db(),
            form.email.data or "",
            form.password.data or "",
            now=now(),
            max_failures=cfg.login_max_failures,
            lockout_minutes=cfg.login_lockout_minutes,
        )
        if result.user is not None:
            log_in(result.user)
            if "locale" not in session and result.user.locale in LANGUAGES:
                session["locale"] = result.user.locale
            return redirect(safe_next(request.args.get("next")) or home_for_user())
        # One answer for every failure (unknown address, wrong password, locked account), so
        # it does not tell which addresses have an account.
        form.form_errors.append(_("Wrong e-mail address or password. Check both and try again."))
        form.form_errors.append(
            _(
                "After %(count)s failed attempts the account is locked for %(minutes)s minutes; "
                "an administrator can unlock it.",
                count=cfg.login_max_failures,
                minutes=cfg.login_lockout_minutes,
            )
        )
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("web/login.html", form=form), status


@web_bp.post("/logout")
def logout() -> Response:
    form = ActionForm()
    if form.validate_on_submit():
        user = current_user()
        was_sso = bool(session.get(sso.SSO_KEY))
        if user is not None:  # every copy of this session's cookie stops working too
            login_service.log_out(get_db(), user.id)
        log_out()
        flash(_("You are logged out."), "info")
        # A single sign-on session: the municipality's login is ended too, then back here.
        end_session = sso.end_session_url(was_sso)
        if end_session:
            return redirect(end_session)
    return redirect(url_for("web.login"))


@web_bp.post("/language")
def language() -> Response:
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data in LANGUAGES:
        session["locale"] = form.locale.data
        user = current_user()
        if user is not None:
            login_service.set_locale(get_db(), user, form.locale.data)
    return redirect(safe_next(form.next.data) or url_for("web.overview"))


@web_bp.get("/")
def index() -> Response:
    if current_user() is None:
        return redirect(url_for("web.login"))
    return redirect(home_for_user())
