"""iTIP (RFC 5546) calendars for invitations: REQUEST, CANCEL and REPLY, built on meeting_vevent.

One model, two transports (DESIGN.md §3.4): the same VEVENT (UID, SEQUENCE, ORGANIZER, one
ATTENDEE per active representative) is written to the organizer's CalDAV calendar (no METHOD,
the server schedules it) or mailed as iMIP (METHOD:REQUEST / CANCEL). Only the DESCRIPTION
differs: an e-mail can carry the attendee's personal RSVP link, a shared CalDAV copy cannot.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from icalendar import Calendar, Event, vCalAddress

from booking.domain.visibility import Audience, is_municipal
from booking.domain.vocabulary import MeetingStatus
from booking.ical.event import bring_lines, meeting_vevent
from booking.ical.serialize import new_calendar
from booking.models import Attendee, Meeting

# Written into the organizer's CalDAV copy: lets a retried delivery see that the server already
# has exactly this version (idempotent PUT, no second round of scheduling messages).
FINGERPRINT_PROP = "X-DORREN-FINGERPRINT"


def mailto(address: str) -> str:
    """A calendar user address in the mailto: form, whatever form it was stored in."""
    address = address.strip()
    return address if address.lower().startswith("mailto:") else f"mailto:{address}"


def bare_email(address: str) -> str:
    return address.split(":", 1)[1] if address.lower().startswith("mailto:") else address


def organizer_email(meeting: Meeting, default: str) -> str:
    """The forum's organizer address, or the configured default."""
    return meeting.case.forum.organizer_email or default


def organizer_prop(meeting: Meeting, default: str) -> vCalAddress:
    org = vCalAddress(mailto(organizer_email(meeting, default)))
    org.params["CN"] = meeting.case.forum.name
    return org


def _role(attendee: Attendee) -> str:
    """The convener chairs (RFC 5545 ROLE=CHAIR); the others are required or optional."""
    meeting = attendee.meeting
    if meeting is not None and meeting.convener_id == attendee.representative_id:
        return "CHAIR"
    return "REQ-PARTICIPANT" if attendee.required else "OPT-PARTICIPANT"


def attendee_prop(attendee: Attendee, *, partstat: str | None = None) -> vCalAddress:
    rep = attendee.representative
    prop = vCalAddress(mailto(rep.address))
    prop.params["CN"] = f"{rep.name} ({attendee.department.name})"
    prop.params["CUTYPE"] = "INDIVIDUAL"
    prop.params["ROLE"] = _role(attendee)
    prop.params["PARTSTAT"] = partstat or attendee.partstat.value
    prop.params["RSVP"] = "TRUE"
    return prop


def active_attendees(meeting: Meeting) -> list[Attendee]:
    return [a for a in meeting.attendees if a.active]


def all_municipal(attendees: Iterable[Attendee]) -> bool:
    """Everyone in the list belongs to a municipal party (booking.domain.visibility): a copy
    they all get may show what the customer agreed to share with municipal departments only."""
    return all(is_municipal(a.department.kind) for a in attendees)


def rsvp_text(link: str) -> str:
    return (
        "Svara / Reply: acceptera eller avböj i din kalender eller via din personliga länk "
        f"(accept or decline in your calendar or through your personal link):\n{link}"
    )


def caldav_reply_text(base_url: str) -> str:
    """The CalDAV copy is one text for every attendee, so it cannot carry a personal link: it
    points to "Mina möten", where a signed-in representative answers (channel "web")."""
    return (
        "Svara / Reply: acceptera eller avböj i din kalender eller under Mina möten "
        f"(accept or decline in your calendar or under My meetings):\n{base_url}/me/meetings"
    )


def _event(
    meeting: Meeting,
    *,
    organizer_default: str,
    base_url: str,
    now: datetime,
    attendees: Iterable[Attendee],
    extra: str,
    partstats: Mapping[str, str] | None = None,
    municipal: bool,
) -> Event:
    event = meeting_vevent(
        meeting,
        Audience.ATTENDEE,
        base_url=base_url,
        dtstamp=now,
        extra_description=extra,
        municipal=municipal,
    )
    event.add("organizer", organizer_prop(meeting, organizer_default))
    for attendee in attendees:
        known = (partstats or {}).get(mailto(attendee.representative.address).lower())
        event.add("attendee", attendee_prop(attendee, partstat=known))
    return event


def fingerprint(meeting: Meeting, organizer_default: str) -> str:
    """What the attendees' calendars show of the meeting; equal fingerprints = nothing to send."""
    parts = [
        meeting.uid,
        str(meeting.sequence),
        str(meeting.status == MeetingStatus.CANCELLED),
        meeting.starts_at.isoformat(),
        meeting.ends_at.isoformat(),
        meeting.location,
        str(meeting.convener_id),
        organizer_email(meeting, organizer_default),
        # What the copy may show of the case: a case made confidential, or a consent
        # withdrawn, after the invitations went out must rewrite them.
        str(meeting.case.confidential),
        str(meeting.case.consent_scope),
    ]
    # PARTSTAT is left out on purpose: answers are the server's to write into the copy.
    for a in active_attendees(meeting):
        parts.append(f"{a.representative.address.lower()}|{a.required}|{a.department.kind}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def organizer_copy(
    meeting: Meeting,
    *,
    organizer_default: str,
    base_url: str,
    now: datetime,
    partstats: Mapping[str, str] | None = None,
    attendees: Iterable[Attendee] | None = None,
) -> Calendar:
    """The object stored in the organizer's CalDAV calendar (no METHOD: the server schedules).

    ``partstats`` (address → PARTSTAT) overrides what the database knows, so an update keeps
    answers the server wrote into the copy since the last sync. ``attendees`` replaces the
    active ones (a cancelled copy lists those the server invited, and no one else).
    """
    cal = new_calendar(meeting.case.forum.timezone)
    attendees = list(attendees) if attendees is not None else active_attendees(meeting)
    event = _event(
        meeting,
        organizer_default=organizer_default,
        base_url=base_url,
        now=now,
        attendees=attendees,
        extra=caldav_reply_text(base_url),
        partstats=partstats,
        # One copy for all: the server hands the same text to every attendee.
        municipal=all_municipal(attendees),
    )
    event.add(FINGERPRINT_PROP, fingerprint(meeting, organizer_default))
    cal.add_component(event)
    return cal


def request(
    meeting: Meeting,
    *,
    organizer_default: str,
    base_url: str,
    now: datetime,
    rsvp_link: str = "",
    recipient: Attendee | None = None,
) -> Calendar:
    """METHOD:REQUEST for iMIP: every active attendee, the recipient's personal link. The text
    is the recipient's (``recipient``; else one that every attendee may read)."""
    cal = new_calendar(meeting.case.forum.timezone, method="REQUEST")
    attendees = active_attendees(meeting)
    cal.add_component(
        _event(
            meeting,
            organizer_default=organizer_default,
            base_url=base_url,
            now=now,
            attendees=attendees,
            extra=rsvp_text(rsvp_link) if rsvp_link else "",
            municipal=all_municipal([recipient] if recipient is not None else attendees),
        )
    )
    return cal


def cancel(
    meeting: Meeting,
    *,
    organizer_default: str,
    base_url: str,
    now: datetime,
    attendees: Iterable[Attendee] | None = None,
    recipient: Attendee | None = None,
) -> Calendar:
    """METHOD:CANCEL: the whole meeting, or (``attendees``) only for attendees taken off it.
    The text is the recipient's (``recipient``; else one every listed attendee may read)."""
    cal = new_calendar(meeting.case.forum.timezone, method="CANCEL")
    listed = list(attendees) if attendees is not None else active_attendees(meeting)
    event = _event(
        meeting,
        organizer_default=organizer_default,
        base_url=base_url,
        now=now,
        attendees=listed,
        extra="",
        municipal=all_municipal([recipient] if recipient is not None else listed),
    )
    event["status"] = "CANCELLED"
    cal.add_component(event)
    return cal


def reply(
    meeting: Meeting, attendee: Attendee, partstat: str, *, organizer_default: str, now: datetime
) -> Calendar:
    """METHOD:REPLY as an attendee's client sends it (used by the tests and the bench)."""
    cal = new_calendar(meeting.case.forum.timezone, method="REPLY")
    event = Event()
    event.add("uid", meeting.uid)
    event.add("dtstamp", now)
    event.add("sequence", meeting.sequence)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    event.add("organizer", organizer_prop(meeting, organizer_default))
    event.add("attendee", attendee_prop(attendee, partstat=partstat))
    cal.add_component(event)
    return cal


def customer_request(
    meeting: Meeting,
    *,
    organizer_default: str,
    base_url: str,
    now: datetime,
    case_link: str,
    method: str = "REQUEST",
    departments: Sequence[tuple[str, str]] | None = None,
    bring: str = "",
) -> Calendar:
    """The customer's confirmation: same UID and SEQUENCE, every department (``departments``:
    each with what it will cover), convener, place, and what to bring (``bring``)."""
    cal = new_calendar(meeting.case.forum.timezone, method=method)
    extras = ["\n".join(bring_lines(bring))] if bring and method == "REQUEST" else []
    if case_link:
        extras += [f"Er ärendesida / Your case page: {case_link}"]
    event = meeting_vevent(
        meeting,
        Audience.CUSTOMER,
        base_url=base_url,
        dtstamp=now,
        extra_description="\n\n".join(extras),
        departments=departments,
    )
    event.add("organizer", organizer_prop(meeting, organizer_default))
    case = meeting.case
    customer = vCalAddress(mailto(case.contact_email))
    customer.params["CN"] = case.contact_name or case.org_name
    customer.params["CUTYPE"] = "INDIVIDUAL"
    customer.params["ROLE"] = "REQ-PARTICIPANT"
    customer.params["PARTSTAT"] = "NEEDS-ACTION" if method == "REQUEST" else "DECLINED"
    customer.params["RSVP"] = "FALSE"
    event.add("attendee", customer)
    if method == "CANCEL" or meeting.status == MeetingStatus.CANCELLED:
        event["status"] = "CANCELLED"
    cal.add_component(event)
    return cal


# ---------------------------------------------------------------- reading answers back


def attendees_of(event: Event) -> list[vCalAddress]:
    """ATTENDEE properties as a list (icalendar gives one as a value, several as a list)."""
    value = event.get("attendee")
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def partstats_of(event: Event) -> Mapping[str, str]:
    """address (lower-case, mailto: form) → PARTSTAT, as found in an event or a REPLY."""
    result: dict[str, str] = {}
    for prop in attendees_of(event):
        address = mailto(str(prop)).lower()
        result[address] = str(prop.params.get("PARTSTAT", "NEEDS-ACTION")).upper()
    return result


def schedule_statuses(event: Event) -> Mapping[str, str]:
    """address → SCHEDULE-STATUS the server wrote on each ATTENDEE after an implicit schedule."""
    result: dict[str, str] = {}
    for prop in attendees_of(event):
        status = prop.params.get("SCHEDULE-STATUS")
        if status:
            result[mailto(str(prop)).lower()] = str(status)
    return result


def events_of(cal: Calendar) -> list[Event]:
    return [c for c in cal.walk("VEVENT") if isinstance(c, Event)]


def parse(data: str | bytes) -> Calendar:
    """Parse calendar data from a server or a mail; raises ValueError when it is malformed."""
    try:
        cal = Calendar.from_ical(data)
    except Exception as exc:  # icalendar raises ValueError, KeyError, IndexError on bad input
        raise ValueError(f"unreadable calendar data: {exc}") from exc
    if not isinstance(cal, Calendar):
        raise ValueError("not a VCALENDAR")
    return cal


def method_of(cal: Calendar) -> str:
    return str(cal.get("method", "")).upper()


def fingerprint_of(event: Event) -> str:
    return str(event.get(FINGERPRINT_PROP, ""))
