"""What a staff member has to do next: invitations to answer, minutes to write or approve,
follow-up points they own. A read model over the meetings and follow-up tables, so "Mina
möten" and the case pages never leave someone without knowing their next step (issue 13).

Everything is found through the user's representatives (``Representative.user_id``) and their
e-mail addresses (a follow-up point's owner is a name and an address, not a user).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from booking.domain.vocabulary import LIVE_MEETING, MeetingStatus, MinutesStatus, PartStat
from booking.models import Attendee, FollowUpPoint, Meeting, Minutes, Representative, User


@dataclass(frozen=True)
class ToDo:
    unanswered: list[Attendee] = field(default_factory=list)
    minutes_to_approve: list[Meeting] = field(default_factory=list)
    minutes_to_write: list[Meeting] = field(default_factory=list)
    points: list[FollowUpPoint] = field(default_factory=list)

    @property
    def count(self) -> int:
        return (
            len(self.unanswered)
            + len(self.minutes_to_approve)
            + len(self.minutes_to_write)
            + len(self.points)
        )


def _unanswered(db: Session, rep_ids: list[int], now: datetime) -> list[Attendee]:
    return list(
        db.scalars(
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
            .order_by(Meeting.starts_at)
        )
    )


def _minutes_to_approve(db: Session, rep_ids: list[int]) -> list[Meeting]:
    """Meetings the user convenes whose minutes have a draft (a first version or a correction)."""
    draft = exists().where(Minutes.meeting_id == Meeting.id, Minutes.status == MinutesStatus.DRAFT)
    return list(
        db.scalars(
            select(Meeting)
            .where(Meeting.convener_id.in_(rep_ids), draft)
            .options(selectinload(Meeting.case))
            .order_by(Meeting.starts_at)
        )
    )


def _minutes_to_write(db: Session, rep_ids: list[int], now: datetime) -> list[Meeting]:
    """Meetings that have taken place, kept by the user, with no minutes begun."""
    begun = exists().where(Minutes.meeting_id == Meeting.id)
    return list(
        db.scalars(
            select(Meeting)
            .where(
                Meeting.minute_taker_id.in_(rep_ids),
                Meeting.status != MeetingStatus.CANCELLED,
                Meeting.ends_at <= now,
                ~begun,
            )
            .options(selectinload(Meeting.case))
            .order_by(Meeting.starts_at)
        )
    )


def _points(db: Session, addresses: set[str]) -> list[FollowUpPoint]:
    return list(
        db.scalars(
            select(FollowUpPoint)
            .where(
                FollowUpPoint.status == "open",
                func.lower(FollowUpPoint.owner_email).in_(sorted(addresses)),
            )
            .options(selectinload(FollowUpPoint.case))
            .order_by(FollowUpPoint.due_date)
        )
    )


def todo_for(db: Session, user: User, now: datetime) -> ToDo:
    reps = list(db.scalars(select(Representative).where(Representative.user_id == user.id)))
    rep_ids = [r.id for r in reps]
    addresses = {user.email.lower(), *(r.email.lower() for r in reps)}
    return ToDo(
        unanswered=_unanswered(db, rep_ids, now) if rep_ids else [],
        minutes_to_approve=_minutes_to_approve(db, rep_ids) if rep_ids else [],
        minutes_to_write=_minutes_to_write(db, rep_ids, now) if rep_ids else [],
        points=_points(db, addresses),
    )
