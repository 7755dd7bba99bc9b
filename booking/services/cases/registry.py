"""Case use cases: register, edit, change status, list, read.

Input is a pydantic model defined here (not in the API package) so the JSON API and the web
forms validate the same way. ``parse_case_input`` turns a plain mapping into the model and a
validation failure into ``Invalid`` with one message per field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationError, field_validator
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import selectinload

from booking.domain import cases as case_rules
from booking.domain.visibility import ConsentScope, consent_scope
from booking.domain.vocabulary import LIVE_MEETING, CaseCategory, CaseStatus, MeetingStatus
from booking.models import Case, CaseDepartment, Department, Forum, Meeting
from booking.services import audit
from booking.services.cases import status as case_status
from booking.services.cases.access import NOBODY, Reader, where_shown
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.inputs import (
    BAD_EMAIL,
    CONTROL_CHARACTER,
    OUT_OF_RANGE,
    Email,
    Id,
    Input,
    Line,
    Moment,
    Text,
    like_pattern,
)
from booking.services.meetings.attendees import change_departments
from booking.services.meetings.changes import cancel_live_meeting
from booking.services.meetings.events import case_changed

EDITABLE = (
    "registry_number",
    "org_name",
    "org_number",
    "contact_name",
    "contact_email",
    "contact_phone",
    "category",
    "description",
    "responsibility_areas",
    "confidential",
    "consent_scope",
    "received_at",
)


def _org_number(value: str | None) -> str | None:
    if value is None or value == "":
        return value
    return case_rules.normalise_org_number(value)


def _areas(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [a.strip() for a in value if a.strip()]


class CaseInput(Input):
    """A new case, as the coordinator registers it."""

    forum: Line = Field(min_length=1, max_length=64, description="Forum slug, e.g. mora.")
    registry_number: Line = Field(default="", max_length=64, description="Diarienummer, if any.")
    org_name: Line = Field(min_length=1, max_length=300)
    org_number: Line = Field(
        default="", max_length=20, description="Swedish organisation number, NNNNNN-NNNN."
    )
    contact_name: Line = Field(default="", max_length=200)
    contact_email: Email = Field(default="", max_length=320, description="One address.")
    contact_phone: Line = Field(default="", max_length=64)
    category: CaseCategory
    description: Text = Field(default="", max_length=20000)
    responsibility_areas: list[Line] = Field(default_factory=list, max_length=50)
    department_ids: list[Id] = Field(
        min_length=1, max_length=60, description="Required departments (at least one)."
    )
    confidential: bool = False
    consent_to_share: bool = Field(
        default=False,
        description="The customer agrees to share the case with the participating municipal "
        "departments (consent_scope=municipal; consent_scope wins when both are given).",
    )
    consent_scope: ConsentScope | None = Field(
        default=None,
        description="How far the customer agrees to share the case: none, municipal (the "
        "municipality's departments and companies only) or external (also external parties).",
    )
    received_at: Moment | None = Field(default=None, description="Defaults to now.")

    _v_org = field_validator("org_number")(_org_number)
    _v_areas = field_validator("responsibility_areas")(_areas)


class CaseUpdate(Input):
    """A partial edit: only the fields given change."""

    registry_number: Line | None = Field(default=None, max_length=64)
    org_name: Line | None = Field(default=None, min_length=1, max_length=300)
    org_number: Line | None = Field(default=None, max_length=20)
    contact_name: Line | None = Field(default=None, max_length=200)
    contact_email: Email | None = Field(default=None, max_length=320)
    contact_phone: Line | None = Field(default=None, max_length=64)
    category: CaseCategory | None = None
    description: Text | None = Field(default=None, max_length=20000)
    responsibility_areas: list[Line] | None = Field(default=None, max_length=50)
    department_ids: list[Id] | None = Field(default=None, min_length=1, max_length=60)
    confidential: bool | None = None
    consent_to_share: bool | None = None
    consent_scope: ConsentScope | None = None
    received_at: Moment | None = None

    _v_org = field_validator("org_number")(_org_number)
    _v_areas = field_validator("responsibility_areas")(_areas)


M = TypeVar("M", bound=BaseModel)


def validation_details(exc: ValidationError) -> dict[str, str]:
    """field path → message, the way the API and the web forms show it."""
    details: dict[str, str] = {}
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "body"
        details[where] = str(err["msg"]).removeprefix("Value error, ")
    return details


# Kinds of input error the web UI names in the user's language (booking.web.messages).
SPECIFIC_REASONS = (CONTROL_CHARACTER, BAD_EMAIL, OUT_OF_RANGE)


def reason_of(exc: ValidationError) -> str:
    """The specific reason when every error is of one such kind, else "invalid"."""
    kinds = {str(err["type"]) for err in exc.errors()}
    if len(kinds) == 1 and (kind := kinds.pop()) in SPECIFIC_REASONS:
        return kind
    return "invalid"


def parse(model: type[M], data: Mapping[str, Any] | M) -> M:
    """Validate ``data`` into ``model``; raise Invalid naming every field to fix."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = validation_details(exc)
        summary = "; ".join(f"{k}: {v}" for k, v in details.items())
        raise Invalid(f"Please correct: {summary}", details, reason=reason_of(exc)) from None


def parse_case_input(data: Mapping[str, Any] | CaseInput) -> CaseInput:
    return parse(CaseInput, data)


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


# ---------------------------------------------------------------- helpers


def get_case(db: Db, case_id: int) -> Case:
    case = db.get(Case, case_id)
    if case is None:
        raise NotFound(f"No case with id {case_id}.", {"case_id": case_id})
    return case


def _forum(db: Db, slug: str) -> Forum:
    forum = db.scalar(select(Forum).where(Forum.slug == slug))
    if forum is None:
        raise Invalid(f"No forum with slug {slug!r}.", {"forum": slug})
    return forum


def _departments(db: Db, forum: Forum, ids: list[int]) -> list[Department]:
    wanted = list(dict.fromkeys(ids))
    found = {
        d.id: d
        for d in db.scalars(
            select(Department)
            .where(Department.id.in_(wanted))
            .options(selectinload(Department.forums))
        )
    }
    missing = [i for i in wanted if i not in found]
    if missing:
        raise Invalid(
            f"No department with id {', '.join(map(str, missing))}.",
            {"department_ids": missing},
            reason="unknown_id",
        )
    foreign = [d.name for d in found.values() if forum not in d.forums]
    if foreign:
        raise Invalid(
            f"Not part of {forum.name}: {', '.join(foreign)}.",
            {"department_ids": foreign, "forum": forum.name},
            reason="department_not_in_forum",
        )
    inactive = [d.name for d in found.values() if not d.active]
    if inactive:
        raise Invalid(
            f"Not active: {', '.join(inactive)}.",
            {"department_ids": inactive, "names": inactive},
            reason="inactive",
        )
    return [found[i] for i in wanted]


def _scope_given(data: CaseInput | CaseUpdate) -> ConsentScope | None:
    """The consent scope the input asks for: ``consent_scope``, else the yes/no
    ``consent_to_share`` (yes: municipal), else None (not given)."""
    given = data.model_fields_set
    if "consent_scope" in given and data.consent_scope is not None:
        return data.consent_scope
    if isinstance(data, CaseInput) or (
        "consent_to_share" in given and data.consent_to_share is not None
    ):
        return consent_scope(bool(data.consent_to_share))
    return None


def _record_consent(case: Case, scope: ConsentScope, actor: audit.Actor, now: datetime) -> None:
    """Set the consent scope, with when and by whom it was recorded."""
    case.consent_scope = scope
    case.consent_recorded_at = now
    case.consent_recorded_by = actor.label


def snapshot(case: Case) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(case, name) for name in EDITABLE}
    data["status"] = case.status
    data["department_ids"] = sorted(d.id for d in case.departments)
    return data


def _next_reference(db: Db, forum: Forum, year: int) -> str:
    prefix = case_rules.case_reference(forum.slug, year, 0).rsplit("-", 1)[0] + "-"
    refs = db.scalars(select(Case.reference).where(Case.reference.like(prefix + "%")))
    number = max((case_rules.reference_number(r) for r in refs), default=0) + 1
    return case_rules.case_reference(forum.slug, year, number)


# ---------------------------------------------------------------- use cases


def create_case(
    db: Db, data: CaseInput | Mapping[str, Any], actor: audit.Actor, *, now: datetime
) -> Case:
    """Register a case; the reference (e.g. MORA-2026-0001) is given here, once."""
    data = parse_case_input(data)
    for attempt in range(5):
        forum = _forum(db, data.forum)
        departments = _departments(db, forum, data.department_ids)
        received_at = data.received_at or now
        if received_at > now:
            raise Invalid("received_at cannot be in the future.", {"received_at": "future"})
        year = received_at.astimezone(ZoneInfo(forum.timezone)).year
        case = Case(
            forum_id=forum.id,
            reference=_next_reference(db, forum, year),
            registry_number=data.registry_number,
            org_name=data.org_name,
            org_number=data.org_number,
            contact_name=data.contact_name,
            contact_email=data.contact_email,
            contact_phone=data.contact_phone,
            category=data.category,
            description=data.description,
            responsibility_areas=data.responsibility_areas,
            confidential=data.confidential,
            status=CaseStatus.RECEIVED,
            received_at=received_at,
            received_by_id=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        case.departments = departments
        _record_consent(case, _scope_given(data) or ConsentScope.NONE, actor, now)
        db.add(case)
        try:
            db.flush()
        except IntegrityError:
            # Two cases got the same running number at once; take the next one.
            db.rollback()
            if attempt == 4:
                raise Conflict("Could not give the case a reference; try again.") from None
            continue
        audit.record(
            db, actor, "case", case.id, "create", after=snapshot(case), case_id=case.id, at=now
        )
        db.commit()
        return case
    raise AssertionError("unreachable")


def update_case(
    db: Db, case_id: int, data: CaseUpdate | Mapping[str, Any], actor: audit.Actor, *, now: datetime
) -> Case:
    """Edit a case's details; only the fields given change."""
    data = parse(CaseUpdate, data)
    case = get_case(db, case_id)
    if case.status in (CaseStatus.CLOSED, CaseStatus.CANCELLED):
        raise Conflict(
            f"Case {case.reference} is {case.status.value}; it can no longer be edited.",
            {"status": case.status.value},
            reason="case_closed",
        )
    given = data.model_fields_set
    for name in given:
        if getattr(data, name) is None and name not in ("received_at",):
            raise Invalid(f"{name} cannot be null.", {name: "null"})
    before = snapshot(case)
    for name in EDITABLE:
        if name in given and getattr(data, name) is not None and name != "consent_scope":
            setattr(case, name, getattr(data, name))
    scope = _scope_given(data)
    if scope is not None and scope != case.consent_scope:
        _record_consent(case, scope, actor, now)
    if "department_ids" in given and data.department_ids is not None:
        new_ids = list(dict.fromkeys(data.department_ids))
        if sorted(new_ids) != before["department_ids"]:
            case.departments = _departments(db, case.forum, new_ids)
            live = next((m for m in case.meetings if m.status in LIVE_MEETING), None)
            if live is not None:
                # Only the departments that changed: the others keep their invitations.
                old_ids = before["department_ids"]
                added = [i for i in new_ids if i not in old_ids]
                removed = [i for i in old_ids if i not in new_ids]
                change_departments(db, live, added, removed, actor, now)
    after = snapshot(case)
    changed = {k for k in after if after[k] != before[k]}
    if not changed:
        db.rollback()
        return case
    case.updated_at = now
    audit.record(
        db,
        actor,
        "case",
        case.id,
        "update",
        before={k: before[k] for k in sorted(changed)},
        after={k: after[k] for k in sorted(changed)},
        case_id=case.id,
        at=now,
    )
    case_changed(db, case, now)
    db.commit()
    return case


def transition(
    db: Db,
    case_id: int,
    new_status: str | CaseStatus,
    actor: audit.Actor,
    *,
    now: datetime,
    note: str = "",
) -> Case:
    """Move a case along its life cycle (see booking.domain.cases.TRANSITIONS)."""
    try:
        target = CaseStatus(new_status)
    except ValueError:
        raise Invalid(
            f"Unknown case status {new_status!r}; use one of "
            f"{', '.join(s.value for s in CaseStatus)}.",
            {"status": str(new_status)},
        ) from None
    case = get_case(db, case_id)
    case_status.check_transition(case, target)
    if target == CaseStatus.BOOKED and case.status == CaseStatus.RECEIVED:
        raise Conflict("Book a slot to make the case booked (POST .../booking).", {})
    if target == CaseStatus.RECEIVED:
        raise Conflict("Cancel the case's meeting to take it back to received.", {})
    # Asked from the database: the session may hold an older copy of case.meetings.
    meetings = list(db.scalars(select(Meeting).where(Meeting.case_id == case.id)))
    meeting = case_status.meeting_to_follow(case, target, meetings, now)
    if meeting is not None:
        case_status.set_meeting_status(db, meeting, MeetingStatus(target.value), actor, now)
    doomed = case_status.to_cancel(meetings, now) if target == CaseStatus.CANCELLED else None
    if doomed is not None:
        # The same cancel as the cancel button: slot and time freed, everyone told.
        cancel_live_meeting(
            db, doomed, note or "Ärendet avslutat / case cancelled", actor, now=now, case_to=target
        )
    case_status.set_status(db, case, target, actor, now, note)
    case_changed(db, case, now)
    db.commit()
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
