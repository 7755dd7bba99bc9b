"""What the audit trail records of a meeting before and after a change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session as Db

from booking.models import Meeting
from booking.services import audit


def meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    return {
        "uid": meeting.uid,
        "sequence": meeting.sequence,
        "status": meeting.status,
        "slot_id": meeting.slot_id,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "convener_id": meeting.convener_id,
        "minute_taker_id": meeting.minute_taker_id,
        "attendees": sorted(a.representative_id for a in meeting.attendees if a.active),
        "override_reason": meeting.override_reason,
        "cancel_reason": meeting.cancel_reason,
    }


def audit_booked(db: Db, actor: audit.Actor, meeting: Meeting, now: datetime) -> None:
    """The audit record of a new meeting, whichever way it was booked (a case's slot or the
    term's evaluation afternoon), with the coordinator's override reason as its note."""
    audit.record(
        db,
        actor,
        "meeting",
        meeting.id,
        "book",
        after=meeting_snapshot(meeting),
        case_id=meeting.case_id,
        note=meeting.override_reason or "",
        at=now,
    )
