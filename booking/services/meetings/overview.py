"""Read models for the coordinator's pages: coming sessions with their bookings and reply counts.

A few set-based queries per page (never one per slot), so the overview stays fast with
thousands of booked cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm import selectinload

from booking.domain.vocabulary import LIVE_MEETING, PartStat, SessionKind, SessionStatus
from booking.models import Attendee, Case, Forum, Meeting, Representative, Session, Slot


@dataclass(frozen=True)
class ReplyCount:
    replied: int
    total: int
    accepted: int
    declined: int

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.replied == self.total


def reply_counts(db: DbSession, meeting_ids: Iterable[int]) -> dict[int, ReplyCount]:
    """Per meeting: active attendees, how many answered, accepted and declined."""
    ids = list(meeting_ids)
    if not ids:
        return {}
    answered = case((Attendee.partstat != PartStat.NEEDS_ACTION, 1), else_=0)
    accepted = case((Attendee.partstat == PartStat.ACCEPTED, 1), else_=0)
    declined = case((Attendee.partstat == PartStat.DECLINED, 1), else_=0)
    rows = db.execute(
        select(
            Attendee.meeting_id,
            func.sum(answered),
            func.count(Attendee.id),
            func.sum(accepted),
            func.sum(declined),
        )
        .where(Attendee.meeting_id.in_(ids), Attendee.active.is_(True))
        .group_by(Attendee.meeting_id)
    )
    return {
        meeting_id: ReplyCount(int(r or 0), int(t or 0), int(a or 0), int(d or 0))
        for meeting_id, r, t, a, d in rows
    }


@dataclass
class Overview:
    sessions: list[Session]
    replies: dict[int, ReplyCount]


def coming_sessions(
    db: DbSession,
    forum_ids: list[int],
    start: date,
    end: date,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> Overview:
    """Sessions of the forums in [start, end], slots with their meeting and case loaded; with
    ``limit``, that many from ``offset`` on (a page of a list)."""
    sessions = list(
        db.scalars(
            select(Session)
            .where(
                Session.forum_id.in_(forum_ids),
                Session.local_date >= start,
                Session.local_date <= end,
            )
            .options(
                selectinload(Session.forum),
                selectinload(Session.slots).selectinload(Slot.meeting).selectinload(Meeting.case),
            )
            .order_by(Session.local_date, Session.forum_id, Session.id)
            .limit(limit)
            .offset(offset)
        )
    )
    meeting_ids = [
        slot.meeting.id for s in sessions for slot in s.slots if slot.meeting is not None
    ]
    return Overview(sessions, reply_counts(db, meeting_ids))


def forums(db: DbSession) -> list[Forum]:
    return list(db.scalars(select(Forum).order_by(Forum.name)))


def representative_for_user(db: DbSession, user_id: int) -> list[Representative]:
    return list(
        db.scalars(
            select(Representative)
            .where(Representative.user_id == user_id)
            .options(selectinload(Representative.department))
        )
    )


def meetings_of_representatives(
    db: DbSession,
    representative_ids: list[int],
    since: datetime,
    *,
    limit: int = 100,
    offset: int = 0,
) -> list[Attendee]:
    """The representatives' invitations to meetings from ``since`` on (cancelled ones too,
    so the representative sees that a meeting went away), soonest first; at most ``limit``
    after the first ``offset``, so the page costs what it shows, not what the representative
    has ever been invited to."""
    if not representative_ids:
        return []
    return list(
        db.scalars(
            select(Attendee)
            .join(Meeting, Attendee.meeting_id == Meeting.id)
            .where(
                Attendee.representative_id.in_(representative_ids),
                Meeting.ends_at >= since,
            )
            .options(
                selectinload(Attendee.meeting).selectinload(Meeting.case),
                selectinload(Attendee.meeting)
                .selectinload(Meeting.attendees)
                .selectinload(Attendee.department),
            )
            .order_by(Meeting.starts_at, Attendee.id)
            .limit(limit)
            .offset(offset)
        )
    )


def cases_with_user(db: DbSession, user_id: int, meeting_ids: list[int]) -> set[int]:
    """Of these meetings, the cases in which the user (as a representative) is invited."""
    rows = db.scalars(
        select(Meeting.case_id)
        .join(Attendee, Attendee.meeting_id == Meeting.id)
        .join(Representative, Representative.id == Attendee.representative_id)
        .where(Meeting.id.in_(meeting_ids), Representative.user_id == user_id)
    )
    return set(rows)


def free_slots(db: DbSession, forum_id: int, start: date, end: date, limit: int = 80) -> list[Slot]:
    """Unbooked slots of scheduled sessions in [start, end], soonest first (the coordinator's
    own choice beside the proposals)."""
    return list(
        db.scalars(
            select(Slot)
            .join(Session, Slot.session_id == Session.id)
            .outerjoin(Meeting, Meeting.slot_id == Slot.id)
            .where(
                Session.forum_id == forum_id,
                Session.status == SessionStatus.SCHEDULED,
                Session.kind == SessionKind.FORUM,  # never the evaluation afternoon
                Session.local_date >= start,
                Session.local_date <= end,
                Meeting.id.is_(None),
            )
            .order_by(Slot.starts_at)
            .limit(limit)
        )
    )


def case_page(db: DbSession, case_id: int) -> Case | None:
    """A case with everything its page shows, in a handful of queries."""
    return db.scalar(
        select(Case)
        .where(Case.id == case_id)
        .options(
            selectinload(Case.forum),
            selectinload(Case.departments),
            selectinload(Case.received_by),
            selectinload(Case.meetings).selectinload(Meeting.convener),
            selectinload(Case.meetings).selectinload(Meeting.minute_taker),
            selectinload(Case.meetings)
            .selectinload(Meeting.attendees)
            .selectinload(Attendee.representative),
            selectinload(Case.meetings)
            .selectinload(Meeting.attendees)
            .selectinload(Attendee.department),
        )
    )


def user_is_invited(db: DbSession, user_id: int, case_id: int) -> bool:
    """Whether the user, as a representative, is (or was) invited to a meeting of the case."""
    return (
        db.scalar(
            select(Attendee.id)
            .join(Meeting, Attendee.meeting_id == Meeting.id)
            .join(Representative, Representative.id == Attendee.representative_id)
            .where(Meeting.case_id == case_id, Representative.user_id == user_id)
            .limit(1)
        )
        is not None
    )


def invited_case_ids(db: DbSession, user_id: int, case_ids: Iterable[int]) -> set[int]:
    """Those of ``case_ids`` whose meetings the user, as a representative, is (or was) invited
    to: ``user_is_invited`` for many cases in one query."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return set()
    return set(
        db.scalars(
            select(Meeting.case_id)
            .join(Attendee, Attendee.meeting_id == Meeting.id)
            .join(Representative, Representative.id == Attendee.representative_id)
            .where(Meeting.case_id.in_(wanted), Representative.user_id == user_id)
            .distinct()
        )
    )


def next_meetings(db: DbSession, case_ids: list[int]) -> dict[int, Meeting]:
    """The live (booked or confirmed) meeting of each case, for the case list."""
    if not case_ids:
        return {}
    rows = db.scalars(
        select(Meeting).where(
            Meeting.case_id.in_(case_ids),
            Meeting.status.in_(LIVE_MEETING),
        )
    )
    return {m.case_id: m for m in rows}
