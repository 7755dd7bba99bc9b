"""Who is calling: an API token (``Authorization: Bearer <token>``) or the web session.

Roles: admin and coordinator may write; representative and viewer may only read.
401 without (valid) credentials, 403 for a role that may not do it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Response, g, request, session

from booking.api import api_bp
from booking.api.errors import ApiError
from booking.models import Role, User
from booking.services.api_tokens import user_for_token
from booking.services.audit import Actor
from booking.web_support import get_db

WRITERS = frozenset({Role.ADMIN, Role.COORDINATOR})
READERS = frozenset(Role)

P = ParamSpec("P")
R = TypeVar("R")


def _unauthorised(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, {"auth": "Bearer token or web login"})


def current_user() -> User | None:
    """The caller, from the bearer token or the web session (``session["user_id"]``)."""
    if "api_user" in g:
        cached: User | None = g.api_user
        return cached
    user: User | None = None
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise _unauthorised("Use 'Authorization: Bearer <token>'.")
        user = user_for_token(get_db(), secret.strip())
        if user is None:
            raise _unauthorised("The API token is unknown or revoked.")
    else:
        user_id = session.get("user_id")
        if isinstance(user_id, int):
            found = get_db().get(User, user_id)
            user = found if found is not None and found.active else None
    g.api_user = user
    return user


def require_user() -> User:
    user = current_user()
    if user is None:
        raise _unauthorised("Log in or send an API token (Authorization: Bearer <token>).")
    return user


def can_write(user: User) -> bool:
    return user.role in WRITERS


def current_actor() -> Actor:
    return Actor.of(require_user())


def requires(access: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view: ``@requires("read")`` or ``@requires("write")``."""
    allowed = WRITERS if access == "write" else READERS

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            user = require_user()
            if user.role not in allowed:
                raise ApiError(
                    403,
                    "forbidden",
                    f"A {user.role.value} may only read; ask a coordinator to make this change.",
                    {"role": user.role.value},
                )
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _challenge(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dorren-in"'
    return response


api_bp.after_request(_challenge)
