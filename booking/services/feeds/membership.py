"""Which meetings belong to which feed.

A feed is named by its key, ``"<kind>:<id>"`` (booking.models.feeds). Its meetings are those
of its subject (``membership``) inside the window (``window``): from ``days_back`` before to
``months_ahead`` after today, a cancelled meeting only for ``cancelled_keep_days`` after its
cancellation. ``feed_query`` gives them in order with their stored pieces' digests (all of
them, or among given meetings: ``changes``).

What a feed showed at its last build is recorded in ``feed_members``, so a change that moves a
meeting out of a feed still marks that feed stale: ``feed_keys_for_meetings`` is every feed
that shows, or showed, a meeting.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Executable, Select

from booking.db import conflict_insert
from booking.domain.vocabulary import MeetingStatus
from booking.models import Attendee, Case, CaseDepartment, Meeting
from booking.models.feeds import FeedEvent, FeedMember
from booking.services.feeds.policy import AUDIENCE_OF, FeedConfig


def window_params(day: datetime, config: FeedConfig) -> dict[str, datetime]:
    """The values of ``window``'s parameters for a build on ``day``."""
    return {
        "start": day - timedelta(days=config.days_back),
        "end": day + relativedelta(months=config.months_ahead),
        "kept_since": day - timedelta(days=config.cancelled_keep_days),
    }


def window() -> ColumnElement[bool]:
    """The meetings a feed shows by date (parameters: ``window_params``)."""
    return and_(
        Meeting.starts_at >= bindparam("start", type_=Meeting.starts_at.type),
        Meeting.starts_at < bindparam("end", type_=Meeting.starts_at.type),
        or_(
            Meeting.status != MeetingStatus.CANCELLED,
            func.coalesce(Meeting.cancelled_at, Meeting.updated_at)
            >= bindparam("kept_since", type_=Meeting.starts_at.type),
        ),
    )


def _attended(condition: ColumnElement[bool]) -> Select[int]:
    """Ids of the meetings with an attendee matching ``condition``, found from the attendee's
    index. Replaced attendees (active = False) leave the feed; a cancelled meeting stays."""
    meeting = aliased(Meeting)
    return (
        select(Attendee.meeting_id)
        .join(meeting, meeting.id == Attendee.meeting_id)
        .where(
            condition,
            or_(Attendee.active.is_(True), meeting.status == MeetingStatus.CANCELLED),
        )
    )


def membership(kind: str) -> ColumnElement[bool]:
    """The meetings of the feed of this kind whose subject is the parameter ``ident``."""
    # A department's or representative's meetings come from its own index entries
    # (attendees, case_departments, meetings.convener_id) as one set of ids, so the database
    # reads those rows instead of testing every meeting of the window.
    ident: BindParameter[int] = bindparam("ident")
    if kind == "department":
        of_case = aliased(Meeting)
        return Meeting.id.in_(
            union(
                _attended(Attendee.department_id == ident),
                select(of_case.id)
                .join(CaseDepartment, CaseDepartment.case_id == of_case.case_id)
                .where(CaseDepartment.department_id == ident),
            )
        )
    if kind == "representative":
        convened = aliased(Meeting)
        return Meeting.id.in_(
            union(
                _attended(Attendee.representative_id == ident),
                select(convened.id).where(convened.convener_id == ident),
            )
        )
    if kind == "forum":
        return Meeting.case_id.in_(select(Case.id).where(Case.forum_id == ident))
    if kind == "case":
        return Meeting.case_id == ident
    raise ValueError(f"unknown feed kind {kind!r}")


@lru_cache(maxsize=16)
def feed_query(kind: str, among: bool = False) -> Executable:
    """The feed's meetings in order: (id, stored piece digest, start). Built once per kind:
    statement construction costs more than the query on a rebuild. Parameters: ``ident`` and
    ``window_params``; with ``among``, also ``ids``: only those of these meetings (a rebuild
    that knows which meetings changed, booking/services/feeds/changes)."""
    audience = AUDIENCE_OF[kind]
    query = (
        select(Meeting.id, FeedEvent.digest, Meeting.starts_at)
        .outerjoin(
            FeedEvent, and_(FeedEvent.meeting_id == Meeting.id, FeedEvent.audience == audience)
        )
        .where(membership(kind), window())
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if among:
        query = query.where(Meeting.id.in_(bindparam("ids", expanding=True)))
    return query


def members_digest(ids: Sequence[int]) -> str:
    """A digest of a feed's meeting ids: ``record_members`` runs only when it changes."""
    return hashlib.blake2b(array("q", sorted(ids)).tobytes(), digest_size=16).hexdigest()


def record_members(db: Session, key: str, ids: Iterable[int]) -> None:
    """Record the meetings the feed shows as of this build (``feed_members``)."""
    now_in = set(ids)
    before = set(db.scalars(select(FeedMember.meeting_id).where(FeedMember.feed_key == key)))
    gone = before - now_in
    if gone:
        db.execute(
            delete(FeedMember)
            .where(FeedMember.feed_key == key, FeedMember.meeting_id.in_(gone))
            .execution_options(synchronize_session=False)
        )
    new = now_in - before
    if new:
        db.execute(
            conflict_insert(db, FeedMember).on_conflict_do_nothing(),
            [{"feed_key": key, "meeting_id": m} for m in sorted(new)],
        )


def feed_keys_for_meetings(db: Session, meeting_ids: Sequence[int]) -> set[str]:
    """Every feed that shows, or at its last build showed, one of these meetings."""
    if not meeting_ids:
        return set()
    keys: set[str] = set(
        db.scalars(select(FeedMember.feed_key).where(FeedMember.meeting_id.in_(meeting_ids)))
    )
    for row in db.execute(
        select(Meeting.id, Meeting.case_id, Meeting.convener_id, Case.forum_id)
        .join(Case, Case.id == Meeting.case_id)
        .where(Meeting.id.in_(meeting_ids))
    ):
        keys.update({f"case:{row.case_id}", f"forum:{row.forum_id}"})
        keys.add(f"availability:{row.forum_id}")
        if row.convener_id is not None:
            keys.add(f"representative:{row.convener_id}")
    for dept_id, rep_id in db.execute(
        select(Attendee.department_id, Attendee.representative_id).where(
            Attendee.meeting_id.in_(meeting_ids)
        )
    ):
        keys.update({f"department:{dept_id}", f"representative:{rep_id}"})
    keys.update(
        f"department:{d}"
        for d in db.scalars(
            select(CaseDepartment.department_id)
            .join(Meeting, Meeting.case_id == CaseDepartment.case_id)
            .where(Meeting.id.in_(meeting_ids))
        )
    )
    return keys
