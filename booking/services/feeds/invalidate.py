"""Invalidation of the stored feeds, in the transaction that changes what they show.

A change to a meeting, a case, a department or a representative calls these functions (through
``booking.services.meetings.events``) before its commit: they delete the touched renderings
(``feed_events``) and mark exactly the feeds that show, or showed, the thing stale
(``membership.feed_keys_for_meetings``); a changed meeting is rendered again at once for every
audience, so the first request after the commit only assembles stored pieces (``build``).

The other concerns of the feed cache live beside this module: ``request`` (answering a feed
request from stored bodies), ``build`` (building and storing pieces and bodies), ``membership``
(which meetings belong to which feed) and ``policy`` (the feed settings).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from booking.ical.feed import render_event
from booking.models import Attendee, Case, CaseDepartment, Department, Meeting, Representative
from booking.models.feeds import FeedBody, FeedEvent
from booking.services.feeds import changes
from booking.services.feeds.build import event_row, upsert
from booking.services.feeds.membership import feed_keys_for_meetings
from booking.services.feeds.policy import AUDIENCE_OF
from booking.services.policies import policies_of

log = logging.getLogger(__name__)


def _invalidate(
    db: Session, meeting_ids: Sequence[int], extra_keys: Iterable[str] = ()
) -> set[str]:
    """Drop the meetings' pieces and mark stale every feed that shows them; returns those.
    Each raised generation is recorded with the meetings that raised it (``changes``)."""
    shown = feed_keys_for_meetings(db, meeting_ids)
    keys = shown | set(extra_keys)
    if meeting_ids:
        db.execute(
            delete(FeedEvent)
            .where(FeedEvent.meeting_id.in_(meeting_ids))
            .execution_options(synchronize_session=False)
        )
    if keys:
        raised = db.execute(
            update(FeedBody)
            .where(FeedBody.feed_key.in_(sorted(keys)))
            .values(stale=True, generation=FeedBody.generation + 1)
            .returning(FeedBody.feed_key, FeedBody.generation)
            .execution_options(synchronize_session=False)
        ).all()
        changes.record(db, [(k, g) for k, g in raised], set(meeting_ids), shown)
    return keys


def _render_now(db: Session, meetings: Sequence[Meeting]) -> None:
    """Render the changed meetings for every feed audience in the changing transaction, so the
    first feed request after the commit only assembles stored pieces.

    The feed settings come with the session's policies (booking.services.policies).
    """
    config = policies_of(db).feeds
    for meeting in meetings:
        try:
            rendered = {a: render_event(meeting, a, config.base_url) for a in AUDIENCE_OF.values()}
        except Exception:  # a rendering bug must never cost a booking: the feed renders later
            log.exception(
                "rendering meeting %s for the feeds failed; left to the next build", meeting.id
            )
            continue
        for audience, data in rendered.items():
            upsert(db, FeedEvent, event_row(meeting.id, audience, data), ["meeting_id", "audience"])


def invalidate_meeting(db: Session, meeting: Meeting) -> None:
    """Re-render this meeting and mark stale the feeds that show (or showed) it."""
    db.flush()
    _invalidate(db, [meeting.id])
    _render_now(db, [meeting])


def invalidate_case(db: Session, case: Case) -> set[str]:
    """Re-render the case's meetings and mark stale the feeds that show any of them; returns
    the keys of those feeds."""
    db.flush()
    ids = list(db.scalars(select(Meeting.id).where(Meeting.case_id == case.id)))
    keys = _invalidate(db, ids, [f"case:{case.id}"])
    _render_now(db, [m for m in case.meetings if m.id in set(ids)])
    return keys


def invalidate_department(db: Session, department: Department) -> None:
    """A department's name is in its own feed's name and in the text of every meeting it
    attends or its cases name. The pieces are dropped and rendered by the next build of each
    feed (a rename is rare; rendering years of meetings inside the admin's request is not)."""
    db.flush()
    attending = select(Attendee.meeting_id).where(Attendee.department_id == department.id)
    by_case = (
        select(Meeting.id)
        .join(CaseDepartment, CaseDepartment.case_id == Meeting.case_id)
        .where(CaseDepartment.department_id == department.id)
    )
    ids = sorted(set(db.scalars(attending)) | set(db.scalars(by_case)))
    _invalidate(db, ids, [f"department:{department.id}"])


def drop_bodies(db: Session, keys: Iterable[str]) -> None:
    """Delete the stored bodies of these feeds (each is rebuilt at its next request): after
    personal data was removed, no stored feed may keep it, even one nobody polls again."""
    db.execute(
        delete(FeedBody)
        .where(FeedBody.feed_key.in_(sorted(keys)))
        .execution_options(synchronize_session=False)
    )


def invalidate_representative(db: Session, representative: Representative) -> None:
    """Drop the feeds that show this representative: their own feed (its name) and the
    meetings they convene or keep the minutes of (both names are in every audience's text)."""
    db.flush()
    ids = list(
        db.scalars(
            select(Meeting.id).where(
                or_(
                    Meeting.convener_id == representative.id,
                    Meeting.minute_taker_id == representative.id,
                )
            )
        )
    )
    _invalidate(db, ids, [f"representative:{representative.id}"])
