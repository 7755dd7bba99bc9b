"""What the invitation mails say: values gathered from the meeting, wording in the templates
(booking/services/invitations/templates, rendered by booking.services.mail.render).

The subject and body say of the case what the reader may see (a confidential case: "Forum –
sekretess" and its reference; a consent for municipal departments only: the company's name not
to an external authority's representative): ``booking.ical.event.summary`` decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from booking.domain.visibility import Audience, is_municipal
from booking.domain.vocabulary import MeetingStatus, PartStat
from booking.ical.event import department_names, location, summary
from booking.models import Attendee, Meeting
from booking.services.mail.render import MailText, render
from booking.services.preparation.confirmation import CustomerPreparation, DepartmentCover

WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
MONTHS = (
    *("januari", "februari", "mars", "april", "maj", "juni"),
    *("juli", "augusti", "september", "oktober", "november", "december"),
)


def local_when(meeting: Meeting) -> str:
    """E.g. "tisdag 8 december 2026, 13:00–14:00 (v. 50)"."""
    return when(meeting, meeting.starts_at, meeting.ends_at)


def when(meeting: Meeting, starts_at: datetime, ends_at: datetime) -> str:
    """A time of this meeting (now or as it was), in the forum's time zone."""
    zone = ZoneInfo(meeting.case.forum.timezone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    week = start.isocalendar().week
    return (
        f"{WEEKDAYS[start.weekday()]} {start.day} {MONTHS[start.month - 1]} {start.year}, "
        f"{start:%H:%M}–{end:%H:%M} (v. {week})"
    )


@dataclass(frozen=True)
class WhyNotInvited:
    """Why a representative no longer goes to a meeting, so every message can say it plainly.

    ``reason``: "cancelled" (the meeting is cancelled), "declined_replaced" (they declined and
    ``replaced_by`` goes instead), "declined", "replaced" (someone else from their department
    goes), "department_removed" (their department is no longer needed at the meeting),
    "role_removed" (invited as convener or minute-taker, and someone else has the role now)."""

    reason: str
    replaced_by: str = ""


def why_not_invited(meeting: Meeting, attendee: Attendee) -> WhyNotInvited:
    if meeting.status == MeetingStatus.CANCELLED:
        return WhyNotInvited("cancelled")
    instead = next(
        (
            a.representative.name
            for a in meeting.attendees
            if a.active and a.department_id == attendee.department_id and a.id != attendee.id
        ),
        "",
    )
    declined = attendee.partstat == PartStat.DECLINED
    if not attendee.required and not declined:
        # Invited as convener or minute-taker, and no longer holds that role
        # (booking.services.meetings.roles).
        return WhyNotInvited("role_removed")
    if declined:
        return WhyNotInvited("declined_replaced" if instead else "declined", instead)
    return WhyNotInvited("replaced" if instead else "department_removed", instead)


def invitation_text(meeting: Meeting, attendee: Attendee, link: str, *, cancel: bool) -> MailText:
    """The representative's invitation (or its cancellation): the iMIP mail's text and HTML."""
    title = summary(meeting, Audience.ATTENDEE, is_municipal(attendee.department.kind))
    values = {
        "name": attendee.representative.name,
        "title": title,
        "when": local_when(meeting),
        "where": location(meeting),
    }
    if cancel:
        why = why_not_invited(meeting, attendee)
        return render(
            "invitations/invitation_cancelled",
            **values,
            reason=why.reason,
            replaced_by=why.replaced_by,
        )
    return render(
        "invitations/invitation",
        **values,
        department=attendee.department.name,
        departments=department_names(meeting),
        link=link,
        moved=meeting.sequence > 0,
        role=_role_of(meeting, attendee),
        convener=meeting.convener.name if meeting.convener else None,
        minute_taker=meeting.minute_taker.name if meeting.minute_taker else None,
    )


def _role_of(meeting: Meeting, attendee: Attendee) -> str | None:
    """ "convener" or "minute_taker" when the invitation gives the attendee that task."""
    if meeting.convener_id == attendee.representative_id:
        return "convener"
    if meeting.minute_taker_id == attendee.representative_id:
        return "minute_taker"
    return None


def customer_text(
    meeting: Meeting,
    link: str,
    *,
    cancel: bool,
    previously: str = "",
    preparation: CustomerPreparation | None = None,
) -> MailText:
    """The customer's confirmation, cancellation, or (``previously``: the time they were told
    before) the new time of a moved meeting. ``preparation``: every department with what it
    will cover, the convener and what to bring (booking.services.preparation.confirmation);
    without it the departments' names alone."""
    case = meeting.case
    values = {
        "forum": case.forum.name,
        "reference": case.reference,
        "greeting": case.contact_name or case.org_name,
        "when": local_when(meeting),
        "link": link,
    }
    if cancel:
        return render("invitations/customer_cancelled", **values, reason=meeting.cancel_reason)
    return render(
        "invitations/customer_moved" if previously else "invitations/customer_confirmation",
        **values,
        previously=previously,
        where=location(meeting),
        **(preparation or _names_only(meeting)).mail_values(),
    )


def _names_only(meeting: Meeting) -> CustomerPreparation:
    return CustomerPreparation(
        departments=tuple(DepartmentCover(name) for name in department_names(meeting)),
        convener=meeting.convener.name if meeting.convener else None,
        bring="",
    )
