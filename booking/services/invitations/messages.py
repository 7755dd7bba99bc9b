"""The iMIP messages (RFC 6047): one e-mail with its text/calendar part, per recipient.

A representative gets a REQUEST with their personal RSVP link, or a CANCEL; the customer gets
one REQUEST naming every department and the convener (their confirmation, or the new time) or a
CANCEL. The texts come from the templates (booking.services.invitations.texts); the calendar
data from booking.ical.itip. Building a message sends nothing.
"""

from __future__ import annotations

from datetime import datetime

from booking.domain.vocabulary import MeetingStatus
from booking.ical import itip
from booking.ical.serialize import to_bytes
from booking.models import Attendee, Meeting
from booking.services.invitations.links import rsvp_link
from booking.services.invitations.outbox import OutgoingMail
from booking.services.invitations.ports import InvitationConfig
from booking.services.invitations.texts import customer_text, invitation_text
from booking.services.preparation.confirmation import CustomerPreparation


def message_id(kind: str, meeting: Meeting, recipient: int | str, config: InvitationConfig) -> str:
    """Stable per message and version, so a repeated send can be recognised."""
    return f"<{kind}-{meeting.id}-{meeting.sequence}-{recipient}@{config.mail_domain}>"


def attendee_mail(
    meeting: Meeting, attendee: Attendee, now: datetime, config: InvitationConfig, *, cancel: bool
) -> OutgoingMail:
    """The representative's REQUEST (with the RSVP link) or CANCEL."""
    link = rsvp_link(attendee, config)
    if cancel:
        cal = itip.cancel(
            meeting,
            organizer_default=config.organizer_default,
            base_url=config.base_url,
            now=now,
            attendees=[attendee] if meeting.status != MeetingStatus.CANCELLED else None,
            recipient=attendee,
        )
    else:
        cal = itip.request(
            meeting,
            organizer_default=config.organizer_default,
            base_url=config.base_url,
            now=now,
            rsvp_link=link,
            recipient=attendee,
        )
    text = invitation_text(meeting, attendee, link, cancel=cancel)
    method = "CANCEL" if cancel else "REQUEST"
    return OutgoingMail(
        to=(attendee.representative.email,),
        subject=text.subject,
        text=text.text,
        html=text.html,
        ics=to_bytes(cal),
        ics_method=method,
        message_id=message_id(method.lower(), meeting, attendee.id, config),
        reply_to=itip.organizer_email(meeting, config.organizer_default),
        date=now,
    )


def customer_mail(
    meeting: Meeting,
    now: datetime,
    config: InvitationConfig,
    *,
    method: str,
    case_link: str,
    previously: str = "",
    preparation: CustomerPreparation | None = None,
) -> OutgoingMail:
    """The customer's REQUEST (confirmation; ``previously``: the new time) or CANCEL.
    ``preparation``: the departments with what they will cover, the convener and what to
    bring (booking.services.preparation.confirmation), in the mail and the .ics alike."""
    cal = itip.customer_request(
        meeting,
        organizer_default=config.organizer_default,
        base_url=config.base_url,
        now=now,
        case_link=case_link,
        method=method,
        departments=preparation.department_pairs() if preparation else None,
        bring=preparation.bring if preparation else "",
    )
    text = customer_text(
        meeting,
        case_link,
        cancel=method == "CANCEL",
        previously=previously,
        preparation=preparation,
    )
    return OutgoingMail(
        to=(meeting.case.contact_email,),
        subject=text.subject,
        text=text.text,
        html=text.html,
        ics=to_bytes(cal),
        ics_method=method,
        message_id=message_id(f"customer-{method.lower()}", meeting, "c", config),
        reply_to=itip.organizer_email(meeting, config.organizer_default),
        date=now,
    )
