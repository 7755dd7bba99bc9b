"""Request-scoped helpers shared by every blueprint: the database session, the clock, settings
and the policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, g, request, session
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter, Map

from booking.models import User
from booking.services.access.sso import IdentityProvider
from booking.services.inputs import MAX_ID, control_characters
from booking.services.policies import Policies
from config import Settings


def get_db() -> Session:
    """One SQLAlchemy session per request, closed at teardown; services own the commit."""
    if "db" not in g:
        g.db = current_app.extensions["session_factory"]()
    db: Session = g.db
    return db


def session_user() -> User | None:
    """The active user the session cookie names (``user_id``), if the cookie's session
    generation (``gen``) is still the user's: a logout or a password change raises it, which
    revokes every copy of the cookie. The web UI and the API's session login both ask here."""
    user_id = session.get("user_id")
    # A cookie signed before generations existed counts as generation 0: it stays valid until
    # the user's next logout or password change, like any other cookie of that generation.
    generation = session.get("gen", 0)
    if not isinstance(user_id, int) or not isinstance(generation, int):
        return None
    user = get_db().get(User, user_id)
    if user is None or not user.active or user.session_generation != generation:
        return None
    return user


def now() -> datetime:
    result: datetime = current_app.extensions["clock"].now()
    return result


def freebusy() -> Any:
    """The CalDAV free/busy port wired by create_app (None without CalDAV): allocation leaves
    out representatives who are busy in their own calendars."""
    return current_app.extensions.get("freebusy")


def identity_provider() -> IdentityProvider | None:
    """The municipality's identity provider (single sign-on) wired by create_app, or None when
    OIDC_ISSUER is not set."""
    result: IdentityProvider | None = current_app.extensions.get("identity_provider")
    return result


def settings() -> Settings:
    result: Settings = current_app.config["SETTINGS"]
    return result


def policies() -> Policies:
    """The policies create_app built once from the settings (the sessions carry the same)."""
    result: Policies = current_app.extensions["policies"]
    return result


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: 1..2^31-1 (the database's ids), else the route does not
    match and the answer is a 404, never an integer overflow in the database driver."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def control_characters_in_request() -> str | None:
    """The first request part (path, query key or value) holding a control character (NUL
    included): such input is refused before it reaches a database that cannot store it."""
    if control_characters(request.path):
        return "path"
    for key, value in request.args.items(multi=True):
        if control_characters(key) or control_characters(value):
            return key[:40] if not control_characters(key) else "query"
    return None
