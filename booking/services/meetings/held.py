"""The queries for the meetings that hold the time of a case's people: their load, their busy
times and their departments' use of each afternoon.

All three start from the attendee rows of the case's representatives or departments
(``ix_attendees_representative_meeting``, ``ix_attendees_department_meeting``: a few hundred
rows, whatever the size of the database) and should reach each meeting, and its slot, by
primary key. Written as plain joins that order is the planner's choice, and PostgreSQL at
``random_page_cost = 4`` hash-joined the attendee rows against a sequential scan of every
meeting: a proposal grew 3.5-fold from 1× to 50× (issue 16, docs/benchmarks.md).

On PostgreSQL the meeting is therefore read in a LATERAL subquery with ``LIMIT 1``. Such a
subquery is never flattened into a join: it runs once per attendee row, and its only sensible
plan is the primary-key lookup, whatever the statistics or the cost settings. The attendee
rows are read the same way, per representative or department (``representatives.id IN …``
by primary key, then a LATERAL subquery with ``OFFSET 0``, which is not flattened either):
``attendees.representative_id IN (20 ids)`` read as one condition was estimated, without
statistics, at so many rows that PostgreSQL read all 400,000 attendee rows at 50× (29 ms),
where one representative's rows by the index take 0.1 ms. SQLite runs every join as nested
loops and the attendee rows are the only side with an index condition, so the plain join
already takes that path there; it keeps the join.

The aggregation (counts per representative, per afternoon and department) stays in the database,
so only a few rows come back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, func, select, true
from sqlalchemy.sql.selectable import LateralFromClause

from booking.domain.vocabulary import MeetingStatus
from booking.models import Attendee, Department, Meeting, Representative, Slot

_REPS: BindParameter[Any] = bindparam("reps", expanding=True)
_DEPTS: BindParameter[Any] = bindparam("depts", expanding=True)
_EXCLUDE: BindParameter[Any] = bindparam("exclude", expanding=True)
_NOW: BindParameter[Any] = bindparam("now")
_LO: BindParameter[Any] = bindparam("lo")
_HI: BindParameter[Any] = bindparam("hi")

# A meeting holds its attendees' time until it is cancelled (as the representative_busy rows
# do, which only a cancellation, a move or a release deletes): held meetings count too, so this
# is "not cancelled", not LIVE_MEETING.
_HOLDS_TIME = Meeting.status != MeetingStatus.CANCELLED
_REP_ROWS = (
    Attendee.representative_id.in_(_REPS),
    Attendee.active.is_(True),
    Attendee.meeting_id.not_in(_EXCLUDE),
)
_DEPT_ROWS = (
    Attendee.department_id.in_(_DEPTS),
    Attendee.active.is_(True),
    Attendee.meeting_id.not_in(_EXCLUDE),
)
# Load to spread: the meetings ahead; busy: those overlapping (lo, hi); use: slots in [lo, hi).
_AHEAD = (_HOLDS_TIME, Meeting.starts_at > _NOW)
_OVERLAPPING = (_HOLDS_TIME, Meeting.starts_at < _HI, Meeting.ends_at > _LO)
_SLOT_IN_WINDOW = (Slot.starts_at >= _LO, Slot.starts_at < _HI)


class HeldQueries(NamedTuple):
    """Representative → meetings ahead; (representative, start, end) of meetings in a window;
    (afternoon, department) → meetings the department attends there."""

    load: Select[int, int]
    busy: Select[int, datetime, datetime]
    usage: Select[int, int, int]


def _meeting_by_key(
    *columns: Any,
    where: tuple[ColumnElement[bool], ...],
    of: LateralFromClause,
    with_slot: bool = False,
) -> LateralFromClause:
    """The meeting (and its slot) of an attendee row ``of``, if it meets ``where``, by
    primary key."""
    found = select(*columns).where(Meeting.id == of.c.meeting_id, *where)
    if with_slot:
        found = found.select_from(Meeting).join(Slot, Slot.id == Meeting.slot_id)
    # LIMIT keeps PostgreSQL from flattening this into a join it may plan as a hash join.
    return found.limit(1).lateral()


def _attendee_rows(owner: ColumnElement[bool]) -> LateralFromClause:
    """The live attendee rows of one representative or department (``owner``), by index."""
    found = select(Attendee.meeting_id).where(
        owner, Attendee.active.is_(True), Attendee.meeting_id.not_in(_EXCLUDE)
    )
    # OFFSET keeps PostgreSQL from flattening this into a join it may plan as a full scan.
    return found.offset(0).lateral()


def _lateral_queries() -> HeldQueries:
    rep_rows = _attendee_rows(Attendee.representative_id == Representative.id)
    dept_rows = _attendee_rows(Attendee.department_id == Department.id)
    ahead = _meeting_by_key(Meeting.id, where=_AHEAD, of=rep_rows)
    busy = _meeting_by_key(Meeting.starts_at, Meeting.ends_at, where=_OVERLAPPING, of=rep_rows)
    use = _meeting_by_key(Slot.session_id, where=_SLOT_IN_WINDOW, with_slot=True, of=dept_rows)
    return HeldQueries(
        load=select(Representative.id, func.count())
        .select_from(Representative)
        .join(rep_rows, true())
        .join(ahead, true())
        .where(Representative.id.in_(_REPS))
        .group_by(Representative.id),
        busy=select(Representative.id, busy.c.starts_at, busy.c.ends_at)
        .select_from(Representative)
        .join(rep_rows, true())
        .join(busy, true())
        .where(Representative.id.in_(_REPS)),
        usage=select(
            use.c.session_id, Department.id, func.count(func.distinct(dept_rows.c.meeting_id))
        )
        .select_from(Department)
        .join(dept_rows, true())
        .join(use, true())
        .where(Department.id.in_(_DEPTS))
        .group_by(use.c.session_id, Department.id),
    )


def _join_queries() -> HeldQueries:
    return HeldQueries(
        load=select(Attendee.representative_id, func.count())
        .join(Meeting, Meeting.id == Attendee.meeting_id)
        .where(*_REP_ROWS, *_AHEAD)
        .group_by(Attendee.representative_id),
        busy=select(Attendee.representative_id, Meeting.starts_at, Meeting.ends_at)
        .join(Meeting, Meeting.id == Attendee.meeting_id)
        .where(*_REP_ROWS, *_OVERLAPPING),
        usage=select(Slot.session_id, Attendee.department_id, func.count(func.distinct(Meeting.id)))
        .join(Meeting, Meeting.slot_id == Slot.id)
        .join(Attendee, Attendee.meeting_id == Meeting.id)
        .where(*_DEPT_ROWS, *_SLOT_IN_WINDOW)
        .group_by(Slot.session_id, Attendee.department_id),
    )


# Built once, with bound parameters: a proposal runs these every time, and building and
# compiling SQLAlchemy statements would otherwise cost more than the queries.
_LATERAL = _lateral_queries()
_JOIN = _join_queries()


def held_queries(dialect: str) -> HeldQueries:
    """The shape for this database: LATERAL lookups on PostgreSQL, plain joins elsewhere."""
    return _LATERAL if dialect == "postgresql" else _JOIN
