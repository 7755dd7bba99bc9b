"""Who reads a case, and what of it they may see: the visibility policy
(booking.domain.visibility.staff_visibility) applied to a logged-in user.

The web pages, the JSON API (whatever the credentials: API token or web session) and case
search all go through here, so a field hidden on one is hidden on all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session as Db

from booking.domain.visibility import (
    ConsentScope,
    Visibility,
    cases_showing,
    is_municipal,
    staff_visibility,
)
from booking.domain.vocabulary import Role
from booking.models import Attendee, Case, Department, Meeting, Representative, User


@dataclass(frozen=True)
class Reader:
    """A logged-in user as the visibility policy sees them."""

    role: str | None  # booking.models.Role value; None: nobody logged in
    municipal: bool = True  # False for a representative of an external party
    user_id: int | None = None

    @property
    def handler(self) -> bool:
        return self.role in ("admin", "coordinator")


NOBODY = Reader(None)


def reader_for(db: Db, user: User | None) -> Reader:
    if user is None or not user.active:
        return NOBODY
    role = user.role.value
    municipal = True
    if role == Role.REPRESENTATIVE:
        kinds = list(
            db.scalars(
                select(Department.kind)
                .join(Representative, Representative.department_id == Department.id)
                .where(Representative.user_id == user.id)
            )
        )
        # A user standing for an external party (in any of their roles) reads as external.
        municipal = bool(kinds) and all(is_municipal(k) for k in kinds)
    return Reader(role, municipal, user.id)


def invited_case_ids(db: Db, reader: Reader, case_ids: Iterable[int]) -> set[int]:
    """Of these cases, those to whose meetings the reader (a representative) is or was invited."""
    wanted = list(case_ids)
    if reader.role != Role.REPRESENTATIVE or reader.user_id is None or not wanted:
        return set()
    rows = db.scalars(
        select(Meeting.case_id)
        .join(Attendee, Attendee.meeting_id == Meeting.id)
        .join(Representative, Representative.id == Attendee.representative_id)
        .where(Meeting.case_id.in_(wanted), Representative.user_id == reader.user_id)
    )
    return set(rows)


def seen(reader: Reader, case: Case, *, participant: bool = False) -> Visibility:
    """What the reader may see of this case (``participant``: invited to one of its meetings)."""
    return staff_visibility(
        reader.role,
        confidential=case.confidential,
        consent=case.consent_scope or ConsentScope.NONE,
        participant=participant,
        municipal=reader.municipal,
    )


def seen_each(db: Db, reader: Reader, cases: Iterable[Case]) -> dict[int, Visibility]:
    """case id → what the reader may see of it (one query for the invitations)."""
    listed = list(cases)
    invited = invited_case_ids(db, reader, (c.id for c in listed))
    return {c.id: seen(reader, c, participant=c.id in invited) for c in listed}


def where_shown(field: str, reader: Reader) -> ColumnElement[bool]:
    """SQL: the cases whose ``field`` the reader sees (without counting invitations), so a
    search or a filter on that field matches nothing the reader may not see."""
    kinds = list(cases_showing(field, reader.role, municipal=reader.municipal))
    if len(kinds) == 2 * len(ConsentScope):
        return true()
    if not kinds:
        return false()
    return or_(
        *(
            and_(Case.confidential == confidential, Case.consent_scope == scope)
            for confidential, scope in kinds
        )
    )
