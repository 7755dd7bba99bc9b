"""Forums: created and edited by an administrator (issue 15), audited.

A forum is one municipality's (or a joint office's) recurring meeting series: its name, the
slug in its public addresses, the municipality, the place, the ORGANIZER address its
invitations come from (``flask forum check`` compares it with the CalDAV account), its time
zone and a contact text. Its afternoons come from its series (booking.services.scheduling.series).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import Forum
from booking.services import audit
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.inputs import clean_email, clean_line, clean_text

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


@dataclass
class ForumData:
    name: str
    slug: str
    municipality: str
    location: str = ""
    organizer_email: str = ""
    timezone: str = "Europe/Stockholm"
    contact_text: str = ""


def get_forum_by_id(db: Session, forum_id: int) -> Forum:
    forum = db.get(Forum, forum_id)
    if forum is None:
        raise NotFound(f"No forum with id {forum_id}.", {"forum_id": forum_id})
    return forum


def _checked(data: ForumData) -> ForumData:
    problems: dict[str, str] = {}
    for name in ("name", "municipality"):
        if not getattr(data, name).strip():
            problems[name] = "required"
    if not SLUG_RE.match(data.slug):
        problems["slug"] = "slug_format"
    try:
        ZoneInfo(data.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems["timezone"] = "unknown_timezone"
    try:
        cleaned = ForumData(
            name=clean_line(data.name.strip()),
            slug=data.slug,
            municipality=clean_line(data.municipality.strip()),
            location=clean_line(data.location.strip()),
            organizer_email=clean_email(data.organizer_email.strip()),
            timezone=data.timezone,
            contact_text=clean_text(data.contact_text.strip()),
        )
    except ValueError as exc:
        problems.setdefault("organizer_email", str(exc))
        cleaned = data
    if problems:
        raise Invalid.fields(problems, "forum_invalid")
    return cleaned


def save_forum(
    db: Session, forum_id: int | None, data: ForumData, actor: audit.Actor, now: datetime
) -> Forum:
    """Create (``forum_id`` None) or change a forum. Commits."""
    data = _checked(data)
    clash = db.scalar(select(Forum).where(Forum.slug == data.slug))
    if clash is not None and clash.id != forum_id:
        raise Conflict(
            f"Another forum already has the address name {data.slug!r}.",
            {"slug": "forum_slug_taken"},
            reason="forum_slug_taken",
        )
    forum = get_forum_by_id(db, forum_id) if forum_id is not None else Forum()
    before = None if forum_id is None else _snapshot(forum)
    for name, value in asdict(data).items():
        setattr(forum, name, value)
    if forum_id is None:
        db.add(forum)
    db.flush()
    audit.record(
        db,
        actor,
        "forum",
        forum.id,
        "create" if forum_id is None else "update",
        before=before,
        after=_snapshot(forum),
        at=now,
    )
    db.commit()
    return forum


def _snapshot(forum: Forum) -> dict[str, str]:
    return {
        "name": forum.name,
        "slug": forum.slug,
        "municipality": forum.municipality,
        "location": forum.location,
        "organizer_email": forum.organizer_email,
        "timezone": forum.timezone,
    }
