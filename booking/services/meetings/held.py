"""The queries for the meetings that hold the time of a case's people: their load, their busy
times and their departments' use of each afternoon.

**Load** (a representative's meetings ahead) starts from the case's representatives. Written
as a plain join, the order is the planner's choice, and PostgreSQL at ``random_page_cost = 4``
hash-joined the attendee rows against a sequential scan of every meeting: a proposal grew
3.5-fold from 1× to 50× (issue 16, docs/benchmarks.md). On PostgreSQL the attendee rows are
therefore read per representative (``representatives.id IN …`` by primary key, then a LATERAL
subquery with ``OFFSET 0``, which is never flattened: ``attendees.representative_id IN (20
ids)`` read as one condition was estimated, without statistics, at so many rows that
PostgreSQL read all 400,000 attendee rows at 50×), and each row's meeting in a LATERAL
subquery with ``LIMIT 1``, whose only sensible plan is the primary-key lookup, whatever the
statistics or the cost settings. SQLite runs every join as nested loops and the attendee rows
are the only side with an index condition, so the plain join already takes that path there.

**Busy** and **usage** ask about one window of time, and a representative or a department with
years of meetings behind it must not cost a lookup per meeting it ever had (20,000 cases in
two forums: 27,000 attendee rows of a case's departments, 40 ms a window; issue 16). So they
are bounded by the window on both sides, on every database:

* busy: read from the five-minute buckets that hold each representative's time
  (``representative_busy``, unique on (representative, bucket): the guard against double
  bookings, written and deleted with every booking, move, release and cancellation). "This
  person's meetings in the window" is one range of that index per person, whatever their
  history or the installation's size, and a plan that needs no statistics: one table, one
  index that matches both conditions. A meeting comes back as its first and last bucket in
  the window, which is all ``allocation.overlaps`` looks at (it decides at bucket
  granularity, as the unique buckets do). A plain join of attendee rows and meetings was
  planned from the window's meetings on a database never analysed (50×: 15,550 meetings
  probed, 162 ms), and from the attendee rows it reads each person's whole history;
* usage: only the afternoons of the case's forum matter (a candidate slot is always one of
  them: ``check_slot_usable``), so the query starts from the forum's sessions of the window
  (``uq_session_forum_date``), their slots, the meetings in them (``meetings.slot_id`` is
  unique) and those meetings' attendee rows (``ix_attendees_meeting_id``): a few hundred rows
  whatever the size of the database or of the departments' history.

The aggregation (counts per representative, per afternoon and department) stays in the database,
so only a few rows come back.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, select, true
from sqlalchemy.sql.selectable import LateralFromClause

from booking.domain.allocation import BUCKET_MINUTES, bucket_floor
from booking.domain.vocabulary import MeetingStatus
from booking.models import (
    Attendee,
    Meeting,
    Representative,
    RepresentativeBusy,
    Session,
    Slot,
)

_REPS: BindParameter[Any] = bindparam("reps", expanding=True)
# The load is counted only for those whose load can decide (``allocation.load_matters``).
_LOAD_REPS: BindParameter[Any] = bindparam("load_reps", expanding=True)
_DEPTS: BindParameter[Any] = bindparam("depts", expanding=True)
_EXCLUDE: BindParameter[Any] = bindparam("exclude", expanding=True)
_NOW: BindParameter[Any] = bindparam("now")
_LO: BindParameter[Any] = bindparam("lo")
_HI: BindParameter[Any] = bindparam("hi")
_FIRST_BUCKET: BindParameter[Any] = bindparam("first_bucket")
_FORUM: BindParameter[Any] = bindparam("forum")
_FIRST_DAY: BindParameter[Any] = bindparam("first_day")
_LAST_DAY: BindParameter[Any] = bindparam("last_day")

# A meeting holds its attendees' time until it is cancelled (as the representative_busy rows
# do, which only a cancellation, a move or a release deletes): held meetings count too, so this
# is "not cancelled", not LIVE_MEETING.
_HOLDS_TIME = Meeting.status != MeetingStatus.CANCELLED
# An attendee row that holds its person's time: active, and not of a meeting being replaced.
_LIVE_ROW = (Attendee.active.is_(True), Attendee.meeting_id.not_in(_EXCLUDE))
_DEPT_ROWS = (Attendee.department_id.in_(_DEPTS), *_LIVE_ROW)
# Load to spread: the meetings ahead; use: the forum's slots in [lo, hi).
_AHEAD = (_HOLDS_TIME, Meeting.starts_at > _NOW)
_FORUM_SLOT_IN_WINDOW = (
    Session.forum_id == _FORUM,
    Session.local_date >= _FIRST_DAY,
    Session.local_date <= _LAST_DAY,
    Slot.starts_at >= _LO,
    Slot.starts_at < _HI,
)


class HeldQueries(NamedTuple):
    """Representative → meetings ahead; (representative, first bucket, last bucket) of each
    meeting in a window (``busy_interval`` makes it an interval);
    (afternoon of the forum, department) → meetings the department attends there.

    Parameters: load ``load_reps``, ``exclude``, ``now``; busy ``reps``, ``exclude``, ``lo``,
    ``hi``, ``first_bucket``; usage ``depts``, ``exclude``, ``forum``, ``lo``, ``hi``,
    ``first_day``, ``last_day`` (``window_params``)."""

    load: Select[int, int]
    busy: Select[int, datetime, datetime]
    usage: Select[int, int, int]


def _meeting_by_key(
    *columns: Any, where: tuple[ColumnElement[bool], ...], of: LateralFromClause
) -> LateralFromClause:
    """The meeting of an attendee row ``of``, if it meets ``where``, by primary key."""
    found = select(*columns).where(Meeting.id == of.c.meeting_id, *where)
    # LIMIT keeps PostgreSQL from flattening this into a join it may plan as a hash join.
    return found.limit(1).lateral()


def _attendee_rows(owner: ColumnElement[bool]) -> LateralFromClause:
    """The live attendee rows of one representative or department (``owner``), by index."""
    found = select(Attendee.meeting_id).where(owner, *_LIVE_ROW)
    # OFFSET keeps PostgreSQL from flattening this into a join it may plan as a full scan.
    return found.offset(0).lateral()


# Busy and usage are the same on every database (module docstring).
_BUSY = (
    select(
        RepresentativeBusy.representative_id,
        func.min(RepresentativeBusy.bucket),
        func.max(RepresentativeBusy.bucket),
    )
    .where(
        RepresentativeBusy.representative_id.in_(_REPS),
        RepresentativeBusy.bucket >= _FIRST_BUCKET,
        RepresentativeBusy.bucket < _HI,
        RepresentativeBusy.meeting_id.not_in(_EXCLUDE),
    )
    .group_by(RepresentativeBusy.representative_id, RepresentativeBusy.meeting_id)
)
_USAGE = (
    select(Slot.session_id, Attendee.department_id, func.count(func.distinct(Meeting.id)))
    .select_from(Session)
    .join(Slot, Slot.session_id == Session.id)
    .join(Meeting, Meeting.slot_id == Slot.id)
    .join(Attendee, Attendee.meeting_id == Meeting.id)
    .where(*_FORUM_SLOT_IN_WINDOW, *_DEPT_ROWS)
    .group_by(Slot.session_id, Attendee.department_id)
)


def _lateral_queries() -> HeldQueries:
    rep_rows = _attendee_rows(Attendee.representative_id == Representative.id)
    ahead = _meeting_by_key(Meeting.id, where=_AHEAD, of=rep_rows)
    return HeldQueries(
        load=select(Representative.id, func.count())
        .select_from(Representative)
        .join(rep_rows, true())
        .join(ahead, true())
        .where(Representative.id.in_(_LOAD_REPS))
        .group_by(Representative.id),
        busy=_BUSY,
        usage=_USAGE,
    )


def _join_queries() -> HeldQueries:
    return HeldQueries(
        load=select(Attendee.representative_id, func.count())
        .join(Meeting, Meeting.id == Attendee.meeting_id)
        .where(Attendee.representative_id.in_(_LOAD_REPS), *_LIVE_ROW, *_AHEAD)
        .group_by(Attendee.representative_id),
        busy=_BUSY,
        usage=_USAGE,
    )


# Built once, with bound parameters: a proposal runs these every time, and building and
# compiling SQLAlchemy statements would otherwise cost more than the queries.
_LATERAL = _lateral_queries()
_JOIN = _join_queries()


def held_queries(dialect: str) -> HeldQueries:
    """The shape for this database: the load by LATERAL lookups on PostgreSQL, by a plain join
    elsewhere; busy and usage the same everywhere."""
    return _LATERAL if dialect == "postgresql" else _JOIN


def window_params(lo: datetime, hi: datetime, forum_id: int, timezone: tzinfo) -> dict[str, Any]:
    """The window parameters of ``busy`` and ``usage``: (lo, hi), the first bucket that can
    overlap it, and the forum's local days that can hold a slot in it."""
    return {
        "lo": lo,
        "hi": hi,
        "first_bucket": bucket_floor(lo),
        "forum": forum_id,
        "first_day": lo.astimezone(timezone).date() - timedelta(days=1),
        "last_day": hi.astimezone(timezone).date() + timedelta(days=1),
    }


def busy_interval(first_bucket: datetime, last_bucket: datetime) -> tuple[datetime, datetime]:
    """A ``busy`` row's buckets as the interval they cover."""
    return first_bucket, last_bucket + timedelta(minutes=BUCKET_MINUTES)
