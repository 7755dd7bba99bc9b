"""A meeting as a VEVENT, with the texts its audience may see.

Feeds and invitations both start here, so a meeting has one UID, one SEQUENCE and the same
time everywhere. DTSTAMP defaults to the meeting's last change, so the rendering of an
unchanged meeting is byte-for-byte stable (stable feed ETags).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Event

from booking.domain.visibility import (
    Audience,
    ConsentScope,
    Visibility,
    confidential_title,
    visibility,
)
from booking.domain.vocabulary import CATEGORY_LABELS, MeetingStatus
from booking.models import Meeting


def seen_by(meeting: Meeting, audience: Audience, municipal: bool = True) -> Visibility:
    """What ``audience`` may see of the meeting's case (booking.domain.visibility);
    ``municipal``: the readers all belong to municipal parties."""
    case = meeting.case
    return visibility(
        audience,
        confidential=case.confidential,
        consent=case.consent_scope or ConsentScope.NONE,
        municipal=municipal,
    )


def summary(meeting: Meeting, audience: Audience, municipal: bool = True) -> str:
    case = meeting.case
    seen = seen_by(meeting, audience, municipal)
    prefix = "INSTÄLLT: " if meeting.status == MeetingStatus.CANCELLED else ""
    if audience == Audience.CUSTOMER:
        return f"{prefix}{case.forum.name}: möte om ert ärende {case.reference}"
    if case.confidential and not seen.organisation:
        return prefix + confidential_title(case.reference)
    parts = [case.forum.name]
    if seen.category:
        parts.append(CATEGORY_LABELS[case.category][0])
    if seen.organisation:
        parts.append(case.org_name)
    if len(parts) == 1:
        parts.append("forummöte")
    return f"{prefix}{' – '.join(parts)} ({case.reference})"


def department_names(meeting: Meeting) -> list[str]:
    names = {a.department.name for a in meeting.attendees if a.active}
    names.update(d.name for d in meeting.case.departments)
    return sorted(names)


def department_lines(departments: Sequence[tuple[str, str]]) -> list[str]:
    """Every department with what it will cover (issue 14 §4), one line each."""
    lines = ["Förvaltningar och vad de tar upp / Departments and what they will cover:"]
    lines += [f"- {name}: {covers}" if covers else f"- {name}" for name, covers in departments]
    return lines


def bring_lines(bring: str) -> list[str]:
    """What the business should bring, from the forum's guide for its category."""
    return ["Ta med till mötet / Please bring:", bring] if bring else []


def description(
    meeting: Meeting,
    audience: Audience,
    base_url: str,
    municipal: bool = True,
    departments: Sequence[tuple[str, str]] | None = None,
) -> str:
    """``departments``: (name, what it will cover) to list one per line instead of the names
    alone (the customer's confirmation)."""
    case = meeting.case
    seen = seen_by(meeting, audience, municipal)
    lines = [f"Ärende / Case: {case.reference}"]
    if seen.category:
        sv, en = CATEGORY_LABELS[case.category]
        lines.append(f"Kategori / Category: {sv} ({en})")
    if seen.organisation:
        lines.append(f"Organisation: {case.org_name}")
    if seen.description and case.description:
        lines.append(f"Beskrivning / Description: {case.description}")
    if seen.contact and case.contact_name:
        contact = ", ".join(
            x for x in (case.contact_name, case.contact_email, case.contact_phone) if x
        )
        lines.append(f"Kontaktperson / Contact: {contact}")
    if departments is not None:
        lines += department_lines(departments)
    else:
        lines.append("Förvaltningar / Departments: " + ", ".join(department_names(meeting)))
    if meeting.convener is not None:
        lines.append(f"Sammankallande / Convener: {meeting.convener.name}")
    if meeting.minute_taker is not None:
        lines.append(f"Protokollförare / Minute-taker: {meeting.minute_taker.name}")
    if meeting.status == MeetingStatus.CANCELLED and meeting.cancel_reason and seen.free_text:
        # Free text: it may name people or the business, so it goes only where the case's
        # description may (the customer; invited attendees when the customer consented).
        lines.append(f"Inställt / Cancelled: {meeting.cancel_reason}")
    if audience != Audience.CUSTOMER:
        lines.append(f"Ärendesida (inloggning) / Case page (login): {base_url}/cases/{case.id}")
    return "\n".join(lines)


def location(meeting: Meeting) -> str:
    return meeting.location or meeting.case.forum.location


def meeting_vevent(
    meeting: Meeting,
    audience: Audience | str,
    *,
    base_url: str,
    dtstamp: datetime | None = None,
    extra_description: str = "",
    municipal: bool = True,
    departments: Sequence[tuple[str, str]] | None = None,
) -> Event:
    """The meeting for one audience. Times carry TZID=<forum timezone> (add its VTIMEZONE).
    ``municipal``: everyone who gets this copy belongs to a municipal party (an invitation
    that also reaches an external authority passes False)."""
    audience = Audience(audience)
    zone = ZoneInfo(meeting.case.forum.timezone)
    event = Event()
    event.add("uid", meeting.uid)
    event.add("dtstamp", dtstamp or meeting.updated_at)
    event.add("sequence", meeting.sequence)
    event.add("created", meeting.created_at)
    event.add("last-modified", meeting.updated_at)
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", summary(meeting, audience, municipal))
    event.add("location", location(meeting))
    text = description(meeting, audience, base_url, municipal, departments)
    event.add("description", f"{text}\n\n{extra_description}" if extra_description else text)
    event.add("status", "CANCELLED" if meeting.status == MeetingStatus.CANCELLED else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if meeting.status == MeetingStatus.CANCELLED else "OPAQUE")
    event.add("class", "CONFIDENTIAL" if meeting.case.confidential else "PRIVATE")
    return event
