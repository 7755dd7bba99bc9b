"""The JSON API's request and response schemas (pydantic); the OpenAPI document is built from
these same models, so what is documented is what is validated and what is answered.

Request bodies for cases and bookings are the services' own models (CaseInput, CaseUpdate,
BookingRequest), shared with the web forms.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, field_validator

from booking.domain.cases import allowed_next
from booking.domain.visibility import FIELDS, FULL, ConsentScope, Visibility, visible_snapshot
from booking.domain.vocabulary import CaseCategory, CaseStatus, MeetingStatus, PartStat, Role
from booking.models import AuditEvent, Case, Department, Meeting, Representative, User
from booking.services.cases.inputs import CaseInput, CaseUpdate
from booking.services.inputs import Id, Input, Text
from booking.services.meetings.proposals import Proposals
from booking.services.meetings.requests import slot_or_earliest

__all__ = ["CaseInput", "CaseUpdate"]

CONFIDENTIAL = "Sekretess"


class _In(Input):
    """API-only request bodies."""


class TransitionIn(_In):
    status: CaseStatus
    note: Text = Field(default="", max_length=2000)


class RescheduleIn(_In):
    slot: Id | Literal["earliest"] = Field(
        default="earliest", description='A slot id, or "earliest".'
    )
    override_reason: Text = Field(default="", max_length=2000)

    _v_slot = field_validator("slot", mode="wrap")(slot_or_earliest)


class CancelIn(_In):
    reason: Text = Field(min_length=1, max_length=2000, pattern=r"\S")


# ---------------------------------------------------------------- responses


class ErrorBody(BaseModel):
    code: str
    # What exactly went wrong, e.g. "slot_taken", "no_slot", "cancel_reason_required"; equal
    # to ``code`` when there is nothing more specific.
    reason: str
    message: str
    details: dict[str, Any]


class ErrorOut(BaseModel):
    error: ErrorBody


class DepartmentRef(BaseModel):
    id: int
    slug: str
    name: str


class RepresentativeRef(BaseModel):
    id: int
    name: str
    department_id: int
    is_deputy: bool


class AttendeeOut(BaseModel):
    id: int
    representative: RepresentativeRef
    department: DepartmentRef
    required: bool
    active: bool
    partstat: PartStat


class MeetingOut(BaseModel):
    id: int
    case_id: int
    uid: str
    sequence: int
    status: MeetingStatus
    slot_id: int | None
    starts_at: datetime
    ends_at: datetime
    location: str
    convener: RepresentativeRef | None
    minute_taker: RepresentativeRef | None
    attendees: list[AttendeeOut]
    override_reason: str
    cancel_reason: str
    cancelled_at: datetime | None


class CaseOut(BaseModel):
    """A case as the caller may see it (booking.domain.visibility.staff_visibility): a field the
    caller may not see is empty ("" / [] / null), org_name of a confidential case "Sekretess";
    ``hidden`` names the hidden groups of fields."""

    id: int
    reference: str
    forum: str
    registry_number: str
    org_name: str
    org_number: str
    contact_name: str
    contact_email: str
    contact_phone: str
    category: CaseCategory | None
    description: str
    responsibility_areas: list[str]
    departments: list[DepartmentRef]
    confidential: bool
    consent_to_share: bool
    consent_scope: ConsentScope = Field(
        description="none, municipal (municipal departments only) or external (also external "
        "parties)."
    )
    consent_recorded_at: datetime | None
    consent_recorded_by: str
    redacted: bool = Field(description="True when some of the case is hidden from the caller.")
    hidden: list[str] = Field(
        description="What is hidden from the caller: category, organisation, description, "
        "contact, registry_number, free_text (cancel and override reasons)."
    )
    status: CaseStatus
    allowed_transitions: list[CaseStatus]
    received_at: datetime
    received_by: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    meetings: list[MeetingOut]


class CaseListOut(BaseModel):
    cases: list[CaseOut]
    total: int
    limit: int
    offset: int


class AssignmentOut(BaseModel):
    department: DepartmentRef
    representative: RepresentativeRef


class ProposalOut(BaseModel):
    slot_id: int
    session_id: int
    date: date
    starts_at: datetime
    ends_at: datetime
    assignments: list[AssignmentOut]


class BlockerOut(BaseModel):
    department_id: int
    department: str
    reason: str
    message: str
    slots: int


class ProposalsOut(BaseModel):
    case_id: int
    not_before: date
    proposals: list[ProposalOut]
    blockers: list[BlockerOut]
    explanation: str


class AuditEventOut(BaseModel):
    id: int
    at: datetime
    actor: str
    entity_type: str
    entity_id: int | None
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str


class HistoryOut(BaseModel):
    case_id: int
    events: list[AuditEventOut]


class MeOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    can_write: bool


# ---------------------------------------------------------------- ORM → response


def _local(at: datetime | None, tz: ZoneInfo) -> datetime | None:
    return at.astimezone(tz) if at is not None else None


def department_ref(d: Department) -> DepartmentRef:
    return DepartmentRef(id=d.id, slug=d.slug, name=d.name)


def representative_ref(r: Representative | None) -> RepresentativeRef | None:
    if r is None:
        return None
    return RepresentativeRef(
        id=r.id, name=r.name, department_id=r.department_id, is_deputy=r.is_deputy
    )


def meeting_out(m: Meeting, tz: ZoneInfo, seen: Visibility = FULL) -> MeetingOut:
    """A meeting; its cancel and override reasons only for a caller who may see free text."""
    return MeetingOut(
        id=m.id,
        case_id=m.case_id,
        uid=m.uid,
        sequence=m.sequence,
        status=m.status,
        slot_id=m.slot_id,
        starts_at=m.starts_at.astimezone(tz),
        ends_at=m.ends_at.astimezone(tz),
        location=m.location,
        convener=representative_ref(m.convener),
        minute_taker=representative_ref(m.minute_taker),
        attendees=[
            AttendeeOut(
                id=a.id,
                representative=representative_ref(a.representative),  # type: ignore[arg-type]
                department=department_ref(a.department),
                required=a.required,
                active=a.active,
                partstat=a.partstat,
            )
            for a in m.attendees
        ],
        override_reason=m.override_reason if seen.free_text else "",
        cancel_reason=m.cancel_reason if seen.free_text else "",
        cancelled_at=_local(m.cancelled_at, tz),
    )


def case_out(c: Case, seen: Visibility) -> CaseOut:
    """A case as a caller who may see ``seen`` of it (booking.services.cases.access.seen)."""
    tz = ZoneInfo(c.forum.timezone)

    def shown(value: str, field: str) -> str:
        return value if seen.shown(field) else ""

    return CaseOut(
        id=c.id,
        reference=c.reference,
        forum=c.forum.slug,
        registry_number=shown(c.registry_number, "registry_number"),
        org_name=(c.org_name if seen.organisation else (CONFIDENTIAL if c.confidential else "")),
        org_number=shown(c.org_number, "contact"),
        contact_name=shown(c.contact_name, "contact"),
        contact_email=shown(c.contact_email, "contact"),
        contact_phone=shown(c.contact_phone, "contact"),
        category=c.category if seen.category else None,
        description=shown(c.description, "description"),
        responsibility_areas=list(c.responsibility_areas) if seen.description else [],
        departments=[department_ref(d) for d in c.departments],
        confidential=c.confidential,
        consent_to_share=c.consent_to_share,
        consent_scope=c.consent_scope,
        consent_recorded_at=_local(c.consent_recorded_at, tz) if seen.contact else None,
        consent_recorded_by=shown(c.consent_recorded_by, "contact"),
        redacted=seen.redacted,
        hidden=[f for f in FIELDS if not seen.shown(f)],
        status=c.status,
        allowed_transitions=sorted(CaseStatus(s) for s in allowed_next(c.status.value)),
        received_at=c.received_at.astimezone(tz),
        received_by=c.received_by.name if c.received_by else None,
        created_at=c.created_at.astimezone(tz),
        updated_at=c.updated_at.astimezone(tz),
        closed_at=_local(c.closed_at, tz),
        meetings=[meeting_out(m, tz, seen) for m in c.meetings],
    )


def proposals_out(p: Proposals, tz: ZoneInfo) -> ProposalsOut:
    return ProposalsOut(
        case_id=p.case_id,
        not_before=p.not_before,
        proposals=[
            ProposalOut(
                slot_id=s.slot_id,
                session_id=s.session_id,
                date=s.local_date,
                starts_at=s.starts_at.astimezone(tz),
                ends_at=s.ends_at.astimezone(tz),
                assignments=[
                    AssignmentOut(
                        department=department_ref(d),
                        representative=representative_ref(r),  # type: ignore[arg-type]
                    )
                    for d, r in s.assignments
                ],
            )
            for s in p.slots
        ],
        blockers=[BlockerOut(**b.__dict__) for b in p.blockers],
        explanation=p.explanation,
    )


def history_out(
    case_id: int, events: list[AuditEvent], tz: ZoneInfo, seen: Visibility = FULL
) -> HistoryOut:
    """The case's audit trail; what ``seen`` may not show of a snapshot reads "***", a note
    (free text) is empty."""
    return HistoryOut(
        case_id=case_id,
        events=[
            AuditEventOut(
                id=e.id,
                at=e.at.astimezone(tz),
                actor=e.actor,
                entity_type=e.entity_type,
                entity_id=e.entity_id,
                action=e.action,
                before=visible_snapshot(e.before, seen),
                after=visible_snapshot(e.after, seen),
                note=e.note if seen.free_text else "",
            )
            for e in events
        ],
    )


def me_out(user: User, can_write: bool) -> MeOut:
    return MeOut(id=user.id, email=user.email, name=user.name, role=user.role, can_write=can_write)
