"""What a staff member has to do next: invitations to answer, minutes to write or approve,
follow-up points they own. A read model over the meetings and follow-up tables, so "Mina
möten" and the case pages never leave someone without knowing their next step (issue 13).

Everything is found through the user's representatives (``Representative.user_id``) and their
e-mail addresses (a follow-up point's owner is a name and an address, not a user).

Each list is read a page at a time (``PER_PAGE`` rows, soonest first) with its full length
counted in the database, so the page costs what it shows, not what a representative has been
invited to over the years (issue 16: 3,900 unanswered invitations took 470 ms and 1,000
queries at 20,000 cases).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, selectinload

from booking.domain.vocabulary import LIVE_MEETING, MeetingStatus, MinutesStatus, PartStat
from booking.models import Attendee, FollowUpPoint, Meeting, Minutes, Representative, User

# Rows of each list on one page of the to-do list.
PER_PAGE = 25

T = TypeVar("T")


@dataclass(frozen=True)
class Listed(Generic[T]):
    """One page of a list and the length of the whole list."""

    rows: list[T] = field(default_factory=list)
    total: int = 0

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Any:
        return iter(self.rows)


@dataclass(frozen=True)
class ToDo:
    unanswered: Listed[Attendee] = field(default_factory=Listed)
    minutes_to_approve: Listed[Meeting] = field(default_factory=Listed)
    minutes_to_write: Listed[Meeting] = field(default_factory=Listed)
    points: Listed[FollowUpPoint] = field(default_factory=Listed)
    page: int = 1
    per_page: int = PER_PAGE

    def _lists(self) -> tuple[Listed[Any], ...]:
        return (self.unanswered, self.minutes_to_approve, self.minutes_to_write, self.points)

    @property
    def count(self) -> int:
        """Everything to do, on every page."""
        return sum(listed.total for listed in self._lists())

    @property
    def pages(self) -> int:
        longest = max(listed.total for listed in self._lists())
        return max(1, -(-longest // self.per_page))


def _page(db: Session, query: Select[T], page: int, per_page: int) -> Listed[T]:
    """Rows ``(page - 1) * per_page`` on of ``query`` (ordered), and how many there are."""
    rows = list(db.scalars(query.limit(per_page).offset((page - 1) * per_page)))
    if page == 1 and len(rows) < per_page:
        return Listed(rows, len(rows))
    counted = query.order_by(None).subquery()
    return Listed(rows, db.scalar(select(func.count()).select_from(counted)) or 0)


def _unanswered(rep_ids: list[int], now: datetime) -> Select[Attendee]:
    return (
        select(Attendee)
        .join(Meeting, Attendee.meeting_id == Meeting.id)
        .where(
            Attendee.representative_id.in_(rep_ids),
            Attendee.active.is_(True),
            Attendee.partstat == PartStat.NEEDS_ACTION,
            Meeting.status.in_(LIVE_MEETING),
            Meeting.ends_at > now,
        )
        .options(selectinload(Attendee.meeting).selectinload(Meeting.case))
        .order_by(Meeting.starts_at, Attendee.id)
    )


def _minutes_to_approve(rep_ids: list[int]) -> Select[Meeting]:
    """Meetings the user convenes whose minutes have a draft (a first version or a correction)."""
    draft = exists().where(Minutes.meeting_id == Meeting.id, Minutes.status == MinutesStatus.DRAFT)
    return (
        select(Meeting)
        .where(Meeting.convener_id.in_(rep_ids), draft)
        .options(selectinload(Meeting.case))
        .order_by(Meeting.starts_at, Meeting.id)
    )


def _minutes_to_write(rep_ids: list[int], now: datetime) -> Select[Meeting]:
    """Meetings that have taken place, kept by the user, with no minutes begun."""
    begun = exists().where(Minutes.meeting_id == Meeting.id)
    return (
        select(Meeting)
        .where(
            Meeting.minute_taker_id.in_(rep_ids),
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.ends_at <= now,
            ~begun,
        )
        .options(selectinload(Meeting.case))
        .order_by(Meeting.starts_at, Meeting.id)
    )


def _points(addresses: set[str]) -> Select[FollowUpPoint]:
    return (
        select(FollowUpPoint)
        .where(
            FollowUpPoint.status == "open",
            func.lower(FollowUpPoint.owner_email).in_(sorted(addresses)),
        )
        .options(selectinload(FollowUpPoint.case))
        .order_by(FollowUpPoint.due_date, FollowUpPoint.id)
    )


def todo_for(
    db: Session, user: User, now: datetime, *, page: int = 1, per_page: int | None = None
) -> ToDo:
    """Page ``page`` of each of the user's lists (``per_page`` rows each, default
    ``PER_PAGE``), with their lengths."""
    per_page = per_page or PER_PAGE
    reps = list(db.scalars(select(Representative).where(Representative.user_id == user.id)))
    rep_ids = [r.id for r in reps]
    addresses = {user.email.lower(), *(r.email.lower() for r in reps)}
    none: Listed[Any] = Listed()
    return ToDo(
        unanswered=_page(db, _unanswered(rep_ids, now), page, per_page) if rep_ids else none,
        minutes_to_approve=_page(db, _minutes_to_approve(rep_ids), page, per_page)
        if rep_ids
        else none,
        minutes_to_write=_page(db, _minutes_to_write(rep_ids, now), page, per_page)
        if rep_ids
        else none,
        points=_page(db, _points(addresses), page, per_page),
        page=page,
        per_page=per_page,
    )
