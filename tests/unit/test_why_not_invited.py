"""A representative taken off a meeting is told why, the same way in the mail and on the page."""

from __future__ import annotations

import pytest

from booking.domain.vocabulary import MeetingStatus, PartStat
from booking.models import Attendee, Meeting, Representative
from booking.services.invitations.texts import why_not_invited


def _meeting(
    status: MeetingStatus, *, declined: bool, deputy: bool, required: bool = True
) -> tuple[Meeting, Attendee]:
    meeting = Meeting(status=status)
    gone = Attendee(
        id=1,
        department_id=7,
        active=False,
        required=required,
        partstat=PartStat.DECLINED if declined else PartStat.ACCEPTED,
        representative=Representative(name="Anna Lind"),
    )
    meeting.attendees.append(gone)
    if deputy:
        meeting.attendees.append(
            Attendee(
                id=2,
                department_id=7,
                active=True,
                partstat=PartStat.NEEDS_ACTION,
                representative=Representative(name="Oskar Falk"),
            )
        )
    # Someone of another department does not stand in for her.
    meeting.attendees.append(
        Attendee(
            id=3,
            department_id=8,
            active=True,
            partstat=PartStat.ACCEPTED,
            representative=Representative(name="Nils Åberg"),
        )
    )
    return meeting, gone


@pytest.mark.parametrize(
    ("status", "declined", "deputy", "reason", "instead"),
    [
        (MeetingStatus.CANCELLED, True, True, "cancelled", ""),
        (MeetingStatus.BOOKED, True, True, "declined_replaced", "Oskar Falk"),
        (MeetingStatus.BOOKED, True, False, "declined", ""),
        (MeetingStatus.CONFIRMED, False, True, "replaced", "Oskar Falk"),
        (MeetingStatus.BOOKED, False, False, "department_removed", ""),
    ],
)
def test_the_reason_names_what_happened(
    status: MeetingStatus, declined: bool, deputy: bool, reason: str, instead: str
) -> None:
    meeting, gone = _meeting(status, declined=declined, deputy=deputy)
    why = why_not_invited(meeting, gone)
    assert (why.reason, why.replaced_by) == (reason, instead)


@pytest.mark.parametrize("deputy", [True, False])
def test_an_optional_attendee_taken_off_lost_their_role(deputy: bool) -> None:
    """Convener or minute-taker (optional attendees) replaced: not "your department"."""
    meeting, gone = _meeting(MeetingStatus.BOOKED, declined=False, deputy=deputy, required=False)
    assert why_not_invited(meeting, gone).reason == "role_removed"
