"""Reading minutes and who may write or approve them.

Coordinators, administrators, the minute-taker and the convener write the minutes; only the
convener approves (booking.services.followup.minutes owns drafting and approval).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import MinutesStatus
from booking.models import Meeting, Minutes
from booking.services.audit import Actor
from booking.services.errors import Forbidden, NotFound
from booking.services.followup.common import STAFF_ROLES


def get_meeting(db: Session, meeting_id: int) -> Meeting:
    meeting = db.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(f"Meeting {meeting_id} does not exist.")
    return meeting


def get_minutes(db: Session, minutes_id: int) -> Minutes:
    minutes = db.get(Minutes, minutes_id)
    if minutes is None:
        raise NotFound(f"Minutes {minutes_id} do not exist.")
    return minutes


def versions(db: Session, meeting_id: int) -> list[Minutes]:
    """All versions of a meeting's minutes, newest first."""
    return list(
        db.scalars(
            select(Minutes).where(Minutes.meeting_id == meeting_id).order_by(Minutes.version.desc())
        )
    )


def current_approved(db: Session, meeting_id: int) -> Minutes | None:
    return db.scalar(
        select(Minutes).where(
            Minutes.meeting_id == meeting_id, Minutes.status == MinutesStatus.APPROVED
        )
    )


def current_draft(db: Session, meeting_id: int) -> Minutes | None:
    return db.scalar(
        select(Minutes).where(
            Minutes.meeting_id == meeting_id, Minutes.status == MinutesStatus.DRAFT
        )
    )


def user_id_of(rep: Any) -> int | None:
    return getattr(rep, "user_id", None) if rep is not None else None


def may_edit(actor: Actor, meeting: Meeting) -> bool:
    """Coordinators, administrators, the minute-taker and the convener write the minutes."""
    user = actor.user
    if user is None:
        return False
    if user.role in STAFF_ROLES:
        return True
    return user.id in {user_id_of(meeting.minute_taker), user_id_of(meeting.convener)} - {None}


def may_approve(actor: Actor, meeting: Meeting) -> bool:
    """Only the convener, who chaired the meeting, approves (justerar) its minutes."""
    user = actor.user
    return user is not None and user.id is not None and user.id == user_id_of(meeting.convener)


def require_edit(actor: Actor, meeting: Meeting) -> None:
    if not may_edit(actor, meeting):
        raise Forbidden(
            "Only the minute-taker, the convener or a coordinator may write these minutes.",
            reason="minutes_not_yours",
        )
