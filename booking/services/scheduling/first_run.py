"""A municipality's first run from an empty database (issue 15): the first administrator and
the first forum, with an every-other-Tuesday series from the next Tuesday.

Reachable only while no administrator exists (``needs_setup``): by `flask forum setup` or by
the first-run page; afterwards everything is done from the administration pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import Role
from booking.models import Forum, User
from booking.services import audit
from booking.services.access.users import create_user
from booking.services.errors import Conflict
from booking.services.scheduling.forums import ForumData, save_forum
from booking.services.scheduling.series import SeriesData, next_weekday, save_series

TUESDAY = 1


@dataclass
class FirstRun:
    admin_email: str
    admin_name: str
    password: str
    forum: ForumData


def needs_setup(db: Session) -> bool:
    """True while the installation has no administrator."""
    return not db.scalar(select(exists().where(User.role == Role.ADMIN)))


def first_run(
    db: Session, data: FirstRun, now: datetime, horizon_months: int
) -> tuple[User, Forum]:
    """Create the first administrator and the first forum. Refused once an administrator
    exists. Commits (the forum and its afternoons with the administrator)."""
    if not needs_setup(db):
        raise Conflict(
            "The service is already set up: an administrator exists. Sign in instead.",
            reason="already_set_up",
        )
    admin = create_user(db, data.admin_email, data.admin_name, Role.ADMIN.value, data.password)
    actor = audit.Actor.of(admin)
    forum = save_forum(db, None, data.forum, actor, now)
    default = SeriesData(
        weekday=TUESDAY,
        anchor_date=next_weekday(now.date(), TUESDAY),
        every_weeks=2,
        start_time=time(13, 0),
        end_time=time(17, 0),
    )
    save_series(db, forum, None, default, actor, now, horizon_months)
    return admin, forum
