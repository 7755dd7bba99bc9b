"""Cases, proposals, booking, reschedule, cancel, history: thin views over the services."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import Field

from booking.api.auth import can_write, current_actor, require_user
from booking.api.operations import Link, operation
from booking.api.schemas import (
    CancelIn,
    CaseListOut,
    CaseOut,
    HistoryOut,
    MeetingOut,
    MeOut,
    ProposalsOut,
    RescheduleIn,
    TransitionIn,
    case_out,
    history_out,
    me_out,
    meeting_out,
    proposals_out,
)
from booking.domain.visibility import Visibility
from booking.domain.vocabulary import CaseCategory, CaseStatus
from booking.models import Case
from booking.services import audit
from booking.services.cases import access as case_access
from booking.services.cases import queries as case_queries
from booking.services.cases import registry as case_service
from booking.services.cases.inputs import CaseInput, CaseUpdate
from booking.services.cases.queries import CaseFilters
from booking.services.inputs import Day, Input, Line, QueryId
from booking.services.meetings import book as book_service
from booking.services.meetings import changes as meeting_changes
from booking.services.meetings.proposals import propose
from booking.services.meetings.requests import BookingRequest
from booking.web_support import freebusy, get_db, now


class CaseQuery(Input):
    status: CaseStatus | None = None
    forum: Line | None = Field(default=None, max_length=64, description="Forum slug.")
    category: CaseCategory | None = None
    department_id: QueryId | None = None
    q: Line | None = Field(
        default=None,
        max_length=200,
        description="Search reference, organisation, diarienummer (% and _ match themselves); "
        "organisation and diarienummer only of cases where the caller may see them.",
    )
    received_from: Day | None = None
    received_to: Day | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class ProposalQuery(Input):
    limit: int = Field(default=5, ge=1, le=20)


# OpenAPI links: what an answer leads to (create a case → propose/book → reschedule → cancel).
_CASE = {"case_id": "$response.body#/id"}
_CASE_OF_MEETING = {"case_id": "$response.body#/case_id"}
_MEETING = {"meeting_id": "$response.body#/id"}
CASE_LINKS = {
    "GetCase": Link("GET /cases/{case_id}", _CASE),
    "UpdateCase": Link("PATCH /cases/{case_id}", _CASE),
    "Transition": Link("POST /cases/{case_id}/transition", _CASE),
    "Proposals": Link("GET /cases/{case_id}/proposals", _CASE),
    "Book": Link("POST /cases/{case_id}/booking", _CASE),
    "History": Link("GET /cases/{case_id}/history", _CASE),
    "FollowUp": Link("GET /cases/{case_id}/followup", _CASE),
    "AddFollowUpPoint": Link("POST /cases/{case_id}/followup", _CASE),
}
MEETING_LINKS = {
    "GetMeeting": Link("GET /meetings/{meeting_id}", _MEETING),
    "Reschedule": Link("POST /meetings/{meeting_id}/reschedule", _MEETING),
    "Cancel": Link("POST /meetings/{meeting_id}/cancel", _MEETING),
    "GetCase": Link("GET /cases/{case_id}", _CASE_OF_MEETING),
    "History": Link("GET /cases/{case_id}/history", _CASE_OF_MEETING),
}


def _tz(case_forum_timezone: str) -> ZoneInfo:
    return ZoneInfo(case_forum_timezone)


def _reader() -> case_access.Reader:
    """The caller as the visibility policy sees them: the same whether they came with an API
    token or a web session cookie, and the same rule the web pages use."""
    return case_access.reader_for(get_db(), require_user())


def _seen(case: Case) -> Visibility:
    reader = _reader()
    invited = case_access.invited_case_ids(get_db(), reader, [case.id])
    return case_access.seen(reader, case, participant=case.id in invited)


def _case_out(case: Case) -> CaseOut:
    return case_out(case, _seen(case))


def _day_start(day: date | None, tz: ZoneInfo, end: bool = False) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=tz)


@operation("GET", "/me", summary="Who am I, and may I write?", response=MeOut, tag="auth")
def me() -> MeOut:
    user = require_user()
    return me_out(user, can_write(user))


@operation("GET", "/cases", summary="List and filter cases", response=CaseListOut, query=CaseQuery)
def list_cases(query: CaseQuery) -> CaseListOut:
    reader = _reader()
    tz = ZoneInfo("Europe/Stockholm")
    filters = CaseFilters(
        status=query.status.value if query.status else None,
        forum=query.forum,
        category=query.category.value if query.category else None,
        department_id=query.department_id,
        q=query.q,
        received_from=_day_start(query.received_from, tz),
        received_to=_day_start(query.received_to, tz, end=True),
        limit=query.limit,
        offset=query.offset,
        reader=reader,
    )
    db = get_db()
    rows = case_queries.list_cases(db, filters)
    seen = case_access.seen_each(db, reader, rows)
    return CaseListOut(
        cases=[case_out(c, seen[c.id]) for c in rows],
        total=case_queries.count_cases(db, filters),
        limit=query.limit,
        offset=query.offset,
    )


@operation(
    "POST",
    "/cases",
    summary="Register a case",
    response=CaseOut,
    status=201,
    body=CaseInput,
    access="write",
    idempotent=True,
    links=CASE_LINKS,
)
def create_case(body: CaseInput) -> CaseOut:
    case = case_service.create_case(get_db(), body, current_actor(), now=now())
    return _case_out(case)


@operation("GET", "/cases/{case_id}", summary="One case with its meetings", response=CaseOut)
def get_case(case_id: int) -> CaseOut:
    require_user()
    return _case_out(case_queries.get_case(get_db(), case_id))


@operation(
    "PATCH",
    "/cases/{case_id}",
    summary="Edit a case (only the fields given change)",
    response=CaseOut,
    body=CaseUpdate,
    access="write",
)
def update_case(case_id: int, body: CaseUpdate) -> CaseOut:
    case = case_service.update_case(get_db(), case_id, body, current_actor(), now=now())
    return _case_out(case)


@operation(
    "POST",
    "/cases/{case_id}/transition",
    summary="Change a case's status",
    description="received → booked → confirmed → held → follow_up → closed; cancelled from any "
    "open state. An illegal change is 409.",
    response=CaseOut,
    body=TransitionIn,
    access="write",
)
def transition_case(case_id: int, body: TransitionIn) -> CaseOut:
    case = case_service.transition(
        get_db(), case_id, body.status, current_actor(), now=now(), note=body.note
    )
    return _case_out(case)


@operation(
    "GET",
    "/cases/{case_id}/proposals",
    summary="The earliest slots where every required department can attend",
    description="When nothing fits, 'blockers' names the departments that block and why.",
    response=ProposalsOut,
    query=ProposalQuery,
    links={"Book": Link("POST /cases/{case_id}/booking", _CASE_OF_MEETING)},
)
def proposals(case_id: int, query: ProposalQuery) -> ProposalsOut:
    db = get_db()
    case = case_queries.get_case(db, case_id)
    result = propose(db, case_id, now=now(), freebusy=freebusy(), limit=query.limit)
    return proposals_out(result, _tz(case.forum.timezone))


@operation(
    "POST",
    "/cases/{case_id}/booking",
    summary="Book the case into a slot (or the earliest feasible one)",
    description="409 when the slot is taken or does not fit; details.next_free_slot names the "
    "next slot that does. Breaking a capacity rule or the minimum notice needs override_reason.",
    response=MeetingOut,
    status=201,
    body=BookingRequest,
    access="write",
    idempotent=True,
    links=MEETING_LINKS,
)
def book(case_id: int, body: BookingRequest) -> MeetingOut:
    db = get_db()
    meeting = book_service.book(db, case_id, body, current_actor(), now=now(), freebusy=freebusy())
    return meeting_out(meeting, _tz(meeting.case.forum.timezone))


@operation(
    "GET", "/meetings/{meeting_id}", summary="One meeting", response=MeetingOut, tag="meetings"
)
def get_meeting(meeting_id: int) -> MeetingOut:
    require_user()
    meeting = meeting_changes.get_meeting(get_db(), meeting_id)
    return meeting_out(meeting, _tz(meeting.case.forum.timezone), _seen(meeting.case))


@operation(
    "POST",
    "/meetings/{meeting_id}/reschedule",
    summary="Move a meeting; it keeps its UID and its sequence number rises",
    response=MeetingOut,
    body=RescheduleIn,
    access="write",
    tag="meetings",
    links=MEETING_LINKS,
)
def reschedule(meeting_id: int, body: RescheduleIn) -> MeetingOut:
    meeting = meeting_changes.reschedule(
        get_db(),
        meeting_id,
        body.slot,
        current_actor(),
        now=now(),
        override_reason=body.override_reason,
        freebusy=freebusy(),
    )
    return meeting_out(meeting, _tz(meeting.case.forum.timezone))


@operation(
    "POST",
    "/meetings/{meeting_id}/cancel",
    summary="Cancel a meeting and free its slot",
    response=MeetingOut,
    body=CancelIn,
    access="write",
    tag="meetings",
    links={k: MEETING_LINKS[k] for k in ("GetMeeting", "GetCase", "History")},
)
def cancel(meeting_id: int, body: CancelIn) -> MeetingOut:
    meeting = meeting_changes.cancel_meeting(
        get_db(), meeting_id, body.reason, current_actor(), now=now()
    )
    return meeting_out(meeting, _tz(meeting.case.forum.timezone))


@operation(
    "GET",
    "/cases/{case_id}/history",
    summary="Every change to the case and its meetings: who, when, before and after",
    response=HistoryOut,
)
def history(case_id: int) -> HistoryOut:
    require_user()
    db = get_db()
    case = case_queries.get_case(db, case_id)
    events = audit.history(db, case_id)
    return history_out(case_id, events, _tz(case.forum.timezone), _seen(case))
