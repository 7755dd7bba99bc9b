"""Delivery state: what each attendee holds, what they are owed, and what the coordinator sees.

Each attendee row carries its delivery state (pending, delivered, failed with the reason,
cancelled) and transport (caldav, imip), and what it last received (sent_method,
sent_sequence, sent_transport); the meeting carries what the customer last received. Delivery
(booking.services.invitations.delivery) goes from that to the meeting as it is now, so the
order of queued work does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from booking.domain.vocabulary import MeetingStatus
from booking.models import Attendee, Meeting

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
CALDAV, IMIP = "caldav", "imip"


def holds_request(attendee: Attendee, transport: str | None = None) -> bool:
    """The attendee's calendar holds an invitation from us (the last thing they received was a
    REQUEST), through ``transport`` when given."""
    return attendee.sent_method == "REQUEST" and transport in (None, attendee.sent_transport)


def answer_is_current(meeting: Meeting, attendee: Attendee | None, sequence: int) -> bool:
    """An answer counts for the meeting's SEQUENCE, or for the one the attendee holds when
    nothing newer is owed to them (the SEQUENCE rose only because someone else was taken off).
    After a move everyone is pending again: an answer to the old time no longer counts."""
    if sequence >= meeting.sequence:
        return True
    return (
        attendee is not None
        and holds_request(attendee)
        and attendee.sent_sequence == sequence
        and attendee.delivery_state == DELIVERED
    )


def raise_sequence_for_released(meeting: Meeting) -> None:
    """An attendee taken off (a deputy came in, a department was removed) who holds the current
    version gets a CANCEL; a CANCEL must be newer than what it takes back (RFC 5546 sequencing), so
    the meeting's SEQUENCE rises once. The others' invitations stay as they are (no new mail
    for a changed attendee list; a scheduling server sends its own update), and their answers
    to the version they hold still count (answer_is_current)."""
    if meeting.status == MeetingStatus.CANCELLED:
        return
    if not any(
        not a.active and holds_request(a) and (a.sent_sequence or 0) >= meeting.sequence
        for a in meeting.attendees
    ):
        return
    meeting.sequence += 1


def record_sent(attendee: Attendee, method: str, sequence: int, transport: str) -> None:
    """What the attendee now holds: compared with the meeting at the next delivery."""
    if (attendee.sent_method, attendee.sent_sequence, attendee.sent_transport) != (
        method,
        sequence,
        transport,
    ):
        attendee.sent_method = method
        attendee.sent_sequence = sequence
        attendee.sent_transport = transport


# ---------------------------------------------------------------- what the coordinator sees


@dataclass(frozen=True)
class AttendeeStatus:
    attendee_id: int
    department: str
    representative: str
    required: bool
    active: bool
    partstat: str
    replied_at: datetime | None
    channel: str
    note: str
    delivery_state: str
    delivery_transport: str
    delivery_error: str


def attendee_statuses(meeting: Meeting) -> list[AttendeeStatus]:
    return [
        AttendeeStatus(
            attendee_id=a.id,
            department=a.department.name,
            representative=a.representative.name,
            required=a.required,
            active=a.active,
            partstat=a.partstat.value,
            replied_at=a.replied_at,
            channel=a.reply_channel,
            note=a.reply_note,
            delivery_state=a.delivery_state,
            delivery_transport=a.delivery_transport,
            delivery_error=a.delivery_error,
        )
        for a in meeting.attendees
    ]
