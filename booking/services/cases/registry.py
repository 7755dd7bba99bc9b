"""Case use cases: register, edit, change status.

The input models live in booking.services.cases.inputs, the lists and searches in
booking.services.cases.queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as Db
from sqlalchemy.orm import selectinload

from booking.domain import cases as case_rules
from booking.domain.visibility import ConsentScope, consent_scope
from booking.domain.vocabulary import LIVE_MEETING, CaseStatus, MeetingStatus
from booking.models import Case, Department, Forum, Meeting
from booking.services import audit
from booking.services.cases import status as case_status
from booking.services.cases.inputs import EDITABLE, CaseInput, CaseUpdate, parse_case_input
from booking.services.cases.queries import get_case
from booking.services.errors import Conflict, Invalid
from booking.services.inputs import parse
from booking.services.meetings.attendees import change_departments
from booking.services.meetings.changes import cancel_live_meeting
from booking.services.meetings.events import case_changed

# ---------------------------------------------------------------- helpers


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


def _consent_of(data: CaseInput | CaseUpdate, customer: bool) -> ConsentScope:
    """The scope to record: the customer's answer; a case without a customer holds no one's
    data to protect, so it is shared with every participant (``confidential`` still hides)."""
    if not customer:
        return ConsentScope.EXTERNAL
    return _scope_given(data) or ConsentScope.NONE


def _record_consent(case: Case, scope: ConsentScope, actor: audit.Actor, now: datetime) -> None:
    """Set the consent scope, with when and by whom it was recorded."""
    case.consent_scope = scope
    case.consent_recorded_at = now
    case.consent_recorded_by = actor.label


def check_customer(category: str, fields: Mapping[str, Any]) -> None:
    """Refuse customer fields that do not fit the category (booking.domain.cases.has_customer):
    a business case names its organisation; an internal case has no organisation number and
    no contact."""
    problems = case_rules.customer_problems(category, {k: str(v or "") for k, v in fields.items()})
    if not problems:
        return
    if problems.get("org_name") == "org_name_required":
        raise Invalid(
            "Enter the name of the business or organisation the case is about.",
            problems,
            reason="org_name_required",
        )
    if problems.get("org_name") == "title_required":
        raise Invalid(
            "Give the internal case a short title (org_name).", problems, reason="title_required"
        )
    raise Invalid(
        "An internal case (Forum internt) has no customer: leave the organisation number and "
        f"the contact empty ({', '.join(problems)}).",
        problems,
        reason="no_customer",
    )


def _customer_fields(source: Any) -> dict[str, Any]:
    return {name: getattr(source, name) for name in ("org_name", *case_rules.CUSTOMER_FIELDS)}


def snapshot(case: Case) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(case, name) for name in EDITABLE}
    data["status"] = case.status
    data["department_ids"] = sorted(d.id for d in case.departments)
    return data


def next_reference(db: Db, forum: Forum, year: int) -> str:
    """The next free case reference of the forum in the year, e.g. MORA-2026-0042."""
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
    check_customer(data.category, _customer_fields(data))
    customer = case_rules.has_customer(data.category)
    for attempt in range(5):
        forum = _forum(db, data.forum)
        departments = _departments(db, forum, data.department_ids)
        received_at = data.received_at or now
        if received_at > now:
            raise Invalid("received_at cannot be in the future.", {"received_at": "future"})
        year = received_at.astimezone(ZoneInfo(forum.timezone)).year
        case = Case(
            forum_id=forum.id,
            reference=next_reference(db, forum, year),
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
        _record_consent(case, _consent_of(data, customer), actor, now)
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
    merged = {
        name: getattr(data, name) if name in given else getattr(case, name)
        for name in ("category", "org_name", *case_rules.CUSTOMER_FIELDS)
    }
    check_customer(merged["category"], merged)
    before = snapshot(case)
    for name in EDITABLE:
        if name in given and getattr(data, name) is not None and name != "consent_scope":
            setattr(case, name, getattr(data, name))
    scope = _scope_given(data) if case_rules.has_customer(case) else ConsentScope.EXTERNAL
    if (
        scope is None
        and case_rules.has_customer(case)
        and not case_rules.has_customer(before["category"])
    ):
        scope = ConsentScope.NONE  # a customer now: shared only once they agree
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
    """Move a case along its life cycle (see booking.domain.cases.TRANSITIONS); one commit."""
    case = apply_transition(db, case_id, new_status, actor, now=now, note=note)
    db.commit()
    return case


def apply_transition(
    db: Db,
    case_id: int,
    new_status: str | CaseStatus,
    actor: audit.Actor,
    *,
    now: datetime,
    note: str = "",
) -> Case:
    """The move of ``transition`` inside the caller's unit of work (no commit): for a use case
    that changes a case's status beside other things and commits them together."""
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
    return case
