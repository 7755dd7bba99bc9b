"""Request-scoped helpers shared by every blueprint: the database session, the clock, settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, g
from sqlalchemy.orm import Session

from config import Settings


def get_db() -> Session:
    """One SQLAlchemy session per request, closed at teardown; services own the commit."""
    if "db" not in g:
        g.db = current_app.extensions["session_factory"]()
    db: Session = g.db
    return db


def now() -> datetime:
    result: datetime = current_app.extensions["clock"].now()
    return result


def freebusy() -> Any:
    """The CalDAV free/busy port wired by create_app (None without CalDAV): allocation leaves
    out representatives who are busy in their own calendars."""
    return current_app.extensions.get("freebusy")


def settings() -> Settings:
    result: Settings = current_app.config["SETTINGS"]
    return result
