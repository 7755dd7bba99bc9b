"""Who is calling: an API token (``Authorization: Bearer <token>``) or the web session.

Roles: admin and coordinator may write; representative and viewer may only read; a receiver
(who passes contacts on in the web UI and sees no case) may not use the API at all.
401 without (valid) credentials, 403 for a role that may not do it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Response, g, request

from booking.api import api_bp
from booking.api.errors import ApiError
from booking.domain.vocabulary import Role
from booking.models import ApiToken, User
from booking.services.access.api_tokens import token_for_secret
from booking.services.audit import Actor
from booking.web_support import get_db, session_user

WRITERS = frozenset({Role.ADMIN, Role.COORDINATOR})
READERS = frozenset(Role) - {Role.RECEIVER}

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
        token = token_for_secret(get_db(), secret.strip())
        if token is None:
            raise _unauthorised("The API token is unknown or revoked.")
        g.api_token = token
        user = token.user
    else:
        user = session_user()  # the web login, while its session generation is current
    g.api_user = user
    return user


def require_user() -> User:
    user = current_user()
    if user is None:
        raise _unauthorised("Log in or send an API token (Authorization: Bearer <token>).")
    return user


def can_write(user: User) -> bool:
    return user.role in WRITERS


def current_token() -> ApiToken | None:
    """The API token this request authenticated with (None for a web session)."""
    current_user()
    token: ApiToken | None = g.get("api_token")
    return token


def current_actor() -> Actor:
    """Who acts, naming the API token when the request used one (for the audit trail)."""
    return Actor.of(require_user(), current_token())


def _refusal(role: Role) -> str:
    if role in READERS:
        return f"A {role.value} may only read; ask a coordinator to make this change."
    return f"A {role.value} has no access to the API; ask an administrator for a role."


def requires(access: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view: ``@requires("read")`` or ``@requires("write")``."""
    allowed = WRITERS if access == "write" else READERS

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            user = require_user()
            if user.role not in allowed:
                raise ApiError(403, "forbidden", _refusal(user.role), {"role": user.role.value})
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _challenge(response: Response) -> Response:
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="dorren-in"'
    return response


api_bp.after_request(_challenge)
