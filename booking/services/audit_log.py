"""The audit log for the registrar and the auditor (issue 15): every recorded change, filtered
by who, what, case and period, newest first, a page at a time, and as a CSV file for Swedish
Excel. Read-only; an export is itself recorded.

What a change recorded (before/after) can hold personal data; the log is shown only to the
roles that may see every case (administrators; booking.web.policy).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from booking.models import AuditEvent, Case
from booking.services.inputs import like_pattern

PAGE_SIZE = 100
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    entity_type: str = ""
    action: str = ""
    case: str = ""  # a case id or its reference
    start: date | None = None
    end: date | None = None


def _case_id(db: Session, case: str) -> int | None:
    case = case.strip()
    if case.isascii() and case.isdigit() and len(case) < 10:
        return int(case)
    found = db.scalar(select(Case.id).where(Case.reference == case))
    return found if found is not None else -1  # no such case: nothing matches


def _query(db: Session, filters: AuditFilters) -> Select[AuditEvent]:
    query = select(AuditEvent)
    if filters.actor.strip():
        pattern = like_pattern(filters.actor.strip().lower())
        query = query.where(func.lower(AuditEvent.actor).like(pattern, escape="\\"))
    if filters.entity_type:
        query = query.where(AuditEvent.entity_type == filters.entity_type)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.case.strip():
        query = query.where(AuditEvent.case_id == _case_id(db, filters.case))
    if filters.start is not None:
        query = query.where(AuditEvent.at >= datetime.combine(filters.start, time(), UTC))
    if filters.end is not None:
        after = datetime.combine(filters.end + timedelta(days=1), time(), UTC)
        query = query.where(AuditEvent.at < after)
    return query.order_by(AuditEvent.id.desc())


def page(
    db: Session, filters: AuditFilters, number: int = 1, size: int = PAGE_SIZE
) -> tuple[list[AuditEvent], bool]:
    """One page of matching events, newest first, and whether there are more."""
    offset = (max(number, 1) - 1) * size
    rows = list(db.scalars(_query(db, filters).offset(offset).limit(size + 1)))
    return rows[:size], len(rows) > size


def kinds(db: Session) -> tuple[list[str], list[str]]:
    """The entity types and actions that occur, for the filter menus."""
    types = sorted(db.scalars(select(AuditEvent.entity_type).distinct()))
    actions = sorted(db.scalars(select(AuditEvent.action).distinct()))
    return types, actions


def _cell(value: Any) -> str:
    """A CSV cell Excel will not run as a formula."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv_sv(db: Session, filters: AuditFilters) -> str:
    """Every matching event (up to EXPORT_LIMIT) for Swedish Excel: semicolon, Swedish
    headers; times in UTC ISO 8601. The caller adds the UTF-8 BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["Tidpunkt (UTC)", "Vem", "API-token", "Vad", "Åtgärd", "Id", "Ärende-id", "Anteckning",
         "Före", "Efter"]
    )  # fmt: skip
    for event in db.scalars(_query(db, filters).limit(EXPORT_LIMIT)):
        writer.writerow(
            [
                event.at.astimezone(UTC).isoformat(timespec="seconds"),
                _cell(event.actor),
                _cell(event.actor_token_name or ""),
                event.entity_type,
                event.action,
                "" if event.entity_id is None else event.entity_id,
                "" if event.case_id is None else event.case_id,
                _cell(event.note or ""),
                _cell(event.before) if event.before is not None else "",
                _cell(event.after) if event.after is not None else "",
            ]
        )
    return out.getvalue()
