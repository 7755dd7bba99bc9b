"""What the audit trail records of a meeting before and after a change."""

from __future__ import annotations

from typing import Any

from booking.models import Meeting


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
