"""Signing in with the municipality's account (OpenID Connect): /login/oidc sends the browser
to the identity provider, /login/oidc/callback takes the answer.

The sign-in under way (state, nonce, PKCE verifier, where to go next) waits in the signed
session cookie; the callback takes it out, so an answer can be used once. Every refusal shows
the login page with a message saying what to do, never a 500.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from booking.i18n import LANGUAGES
from booking.services.access import sso
from booking.web import web_bp
from booking.web.auth import log_in, safe_next
from booking.web.forms.account import LoginForm
from booking.web_support import get_db, identity_provider, now, settings

PENDING_KEY = "oidc"
SSO_KEY = "sso"  # set in a session made by single sign-on: logging out ends the provider's too


@web_bp.context_processor
def _login_choices() -> dict[str, Any]:
    """What the login page offers: the municipality's login, the password form, or both."""
    return {
        "sso_login": identity_provider() is not None,
        "local_passwords": settings().local_passwords,
    }


def callback_url() -> str:
    """The redirect URI to register with the identity provider."""
    return settings().public_base_url + url_for("web.login_oidc_callback")


def _message(reason: str) -> str:
    messages = {
        "inactive": _(
            "Your account in Dörren in is turned off. Ask an administrator to turn it on."
        ),
        "email_taken": _(
            "Your e-mail address belongs to another account of the municipality. Ask an "
            "administrator."
        ),
        "no_email": _(
            "The municipality's login sent no e-mail address. Ask IT to release the e-mail "
            "claim to Dörren in."
        ),
        "provider_unreachable": _(
            "The municipality's login cannot be reached right now. Try again in a while."
        ),
        "state_mismatch": _(
            "The login could not be verified: it was started in another tab or took too long. "
            "Try again."
        ),
        "denied": _("The municipality's login did not let you in. Try again."),
    }
    return str(
        messages.get(
            reason,
            _("The answer from the municipality's login could not be accepted. Try again."),
        )
    )


STATUS = {
    "inactive": 403,
    "email_taken": 403,
    "no_email": 403,
    "provider_unreachable": 502,
    "state_mismatch": 400,
    "denied": 401,
}


def refused(reason: str) -> tuple[str, int]:
    form = LoginForm()
    form.form_errors.append(_message(reason))
    return render_template("web/login.html", form=form), STATUS.get(reason, 401)


@web_bp.get("/login/oidc")
def login_oidc() -> Any:
    provider = identity_provider()
    if provider is None:
        abort(404)
    try:
        pending = provider.begin(callback_url())
    except sso.SsoRefused as exc:
        current_app.logger.warning("single sign-on refused: %s (%s)", exc.reason, exc.message)
        return refused(exc.reason)
    session[PENDING_KEY] = {
        "state": pending.state,
        "nonce": pending.nonce,
        "verifier": pending.code_verifier,
        "next": safe_next(request.args.get("next")) or "",
    }
    return redirect(pending.url)


@web_bp.get("/login/oidc/callback")
def login_oidc_callback() -> Any:
    provider = identity_provider()
    if provider is None:
        abort(404)
    pending = session.pop(PENDING_KEY, None)
    if not isinstance(pending, dict) or request.args.get("state") != pending.get("state"):
        return refused("state_mismatch")
    code = request.args.get("code")
    if request.args.get("error") or not code:
        return refused("denied")
    try:
        identity = provider.finish(
            code=code,
            redirect_uri=callback_url(),
            pending=sso.AuthRequest(
                url="",
                state=str(pending["state"]),
                nonce=str(pending.get("nonce", "")),
                code_verifier=str(pending.get("verifier", "")),
            ),
            now=now(),
            issuer_param=request.args.get("iss"),
        )
        user = sso.sign_in(get_db(), identity, now=now())
    except sso.SsoRefused as exc:
        current_app.logger.warning("single sign-on refused: %s (%s)", exc.reason, exc.message)
        return refused(exc.reason)
    log_in(user)
    session[SSO_KEY] = True
    if "locale" not in session and user.locale in LANGUAGES:
        session["locale"] = user.locale
    return redirect(str(pending.get("next") or "") or url_for("web.index"))


def end_session_url(was_sso: bool) -> str | None:
    """After a logout of a single sign-on session: the identity provider's end-session URL
    (RP-initiated logout), coming back to the login page; None otherwise."""
    provider = identity_provider()
    if not was_sso or provider is None:
        return None
    return provider.end_session_url(settings().public_base_url + url_for("web.login"))
