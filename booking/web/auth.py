"""Who is logged in, and the role check every view goes through.

The login stores ``session["user_id"] = user.id`` and ``session["gen"]``, the user's session
generation; the JSON API's session authentication reads the same keys (``session_user``). A
session whose generation is not the user's current one (after a logout or a password change
anywhere) is no login: a copied cookie stops working then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from booking.models import User
from booking.web.policy import can
from booking.web_support import session_user

F = TypeVar("F", bound=Callable[..., Any])
SESSION_LIFETIME = timedelta(hours=10)


def current_user() -> User | None:
    """The logged-in, active user, loaded once per request (and only when asked)."""
    if "user" not in g:
        g.user = session_user()
    result: User | None = g.user
    return result


def log_in(user: User) -> None:
    locale = session.get("locale")
    session.clear()  # a new session on login: nothing from before survives (fixation)
    session.permanent = True
    session["user_id"] = user.id
    session["gen"] = user.session_generation
    if locale:
        session["locale"] = locale
    g.user = user


def log_out() -> None:
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    g.user = None


def safe_next(target: str | None) -> str | None:
    """Only a path on this site may be a redirect target after login."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def requires(permission: str | None = None) -> Callable[[F], F]:
    """Log-in required; with a permission, users whose role lacks it get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
            if permission is not None and not can(user, permission):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator


def init_app(app: Flask) -> None:
    app.config["PERMANENT_SESSION_LIFETIME"] = SESSION_LIFETIME

    @app.context_processor
    def _inject_user() -> dict[str, Any]:
        user = current_user()
        return {"current_user": user, "can": lambda permission: can(user, permission)}

    app.jinja_env.globals.update(csrf_field=csrf_field)


def csrf_field() -> Markup:
    """The CSRF token as a hidden input without an id (a page has several small forms)."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())
