"""Finding cases: one case by id, and the filtered, searchable list with its count.

A search (``q``) and the category filter match only what the reader may see of a case
(booking.services.cases.access.where_shown), so a count never reveals a hidden match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import selectinload

from booking.domain.vocabulary import CaseCategory, CaseStatus
from booking.models import Case, CaseDepartment, Forum
from booking.services.cases.access import NOBODY, Reader, where_shown
from booking.services.errors import Invalid, NotFound
from booking.services.inputs import like_pattern


@dataclass
class CaseFilters:
    status: str | None = None
    forum: str | None = None
    category: str | None = None
    department_id: int | None = None
    q: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    limit: int = 50
    offset: int = 0
    # Who searches: ``q`` and ``category`` match only what they may see of a case
    # (booking.services.cases.access). Nobody given: the reference only.
    reader: Reader = NOBODY


def get_case(db: Db, case_id: int) -> Case:
    case = db.get(Case, case_id)
    if case is None:
        raise NotFound(f"No case with id {case_id}.", {"case_id": case_id})
    return case


def _filtered(filters: CaseFilters) -> Select[Any]:
    query = select(Case)
    if filters.status:
        try:
            query = query.where(Case.status == CaseStatus(filters.status))
        except ValueError:
            raise Invalid(
                f"Unknown status {filters.status!r}.", {"status": filters.status}
            ) from None
    if filters.category:
        try:
            query = query.where(
                Case.category == CaseCategory(filters.category),
                where_shown("category", filters.reader),
            )
        except ValueError:
            raise Invalid(
                f"Unknown category {filters.category!r}.", {"category": filters.category}
            ) from None
    if filters.forum:
        query = query.join(Forum, Forum.id == Case.forum_id).where(Forum.slug == filters.forum)
    if filters.department_id is not None:
        query = query.where(
            Case.id.in_(
                select(CaseDepartment.case_id).where(
                    CaseDepartment.department_id == filters.department_id
                )
            )
        )
    if filters.q and filters.q.strip():
        # % and _ are the user's characters, not wildcards: "q=%" must not match every case.
        like = like_pattern(filters.q.strip().lower())
        query = query.where(
            or_(
                func.lower(Case.reference).like(like, escape="\\"),
                and_(
                    func.lower(Case.org_name).like(like, escape="\\"),
                    where_shown("organisation", filters.reader),
                ),
                and_(
                    func.lower(Case.registry_number).like(like, escape="\\"),
                    where_shown("registry_number", filters.reader),
                ),
            )
        )
    if filters.received_from is not None:
        query = query.where(Case.received_at >= filters.received_from)
    if filters.received_to is not None:
        query = query.where(Case.received_at <= filters.received_to)
    return query


def list_cases(db: Db, filters: CaseFilters | None = None) -> list[Case]:
    """Cases matching the filters, newest first."""
    filters = filters or CaseFilters()
    query = (
        _filtered(filters)
        .options(selectinload(Case.departments), selectinload(Case.forum))
        .order_by(Case.received_at.desc(), Case.id.desc())
        .limit(max(1, min(filters.limit, 500)))
        .offset(max(0, filters.offset))
    )
    return list(db.scalars(query))


def count_cases(db: Db, filters: CaseFilters | None = None) -> int:
    subquery = _filtered(filters or CaseFilters()).subquery()
    return int(db.scalar(select(func.count()).select_from(subquery)) or 0)
