"""The CalDAV transport: the organizer's copy on the server (RFC 6638 implicit scheduling).

The worker writes the meeting once, with ORGANIZER and one ATTENDEE per representative; a
scheduling server delivers the invitation and reports per attendee (SCHEDULE-STATUS) whom it
could not reach: those get iMIP instead. A cancellation is the cancelled state written as a
PUT, never a DELETE. Answers the server wrote into the copy since the last sync are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from booking.domain.vocabulary import MeetingStatus
from booking.ical import itip
from booking.ical.serialize import to_bytes
from booking.models import Attendee, Meeting
from booking.services.invitations.outbox import PermanentError
from booking.services.invitations.ports import CalendarPort, InvitationConfig, RemoteCopy
from booking.services.invitations.reconcile import (
    CALDAV,
    CANCELLED,
    DELIVERED,
    FAILED,
    PENDING,
    answer_is_current,
    holds_request,
    record_sent,
)

log = logging.getLogger(__name__)


def write_organizer_copy(
    db: Session, meeting: Meeting, now: datetime, calendar: CalendarPort, config: InvitationConfig
) -> set[int]:
    """Make the server's organizer copy match the meeting; returns attendee ids to mail."""
    remote = calendar.get(meeting.uid)
    if meeting.status == MeetingStatus.CANCELLED:
        _write_cancelled_copy(db, meeting, now, calendar, config, remote)
        return set()
    partstats = _partstats_for_put(meeting, _remote_partstats(remote, meeting))
    _sync_copy(db, meeting, now, calendar, config, remote, partstats=partstats)
    if not calendar.supports_scheduling():
        db.commit()
        return {a.id for a in itip.active_attendees(meeting)}
    for attendee in meeting.attendees:
        if not attendee.active and holds_request(attendee, CALDAV):
            # Taken off the ATTENDEE list: the scheduling server sends them the CANCEL.
            record_sent(attendee, "CANCEL", meeting.sequence, CALDAV)
            attendee.delivery_state = CANCELLED
    written = calendar.get(meeting.uid)
    statuses: dict[str, str] = {}
    if written is not None:
        for event in itip.events_of(itip.parse(written.data)):
            statuses.update(itip.schedule_statuses(event))
    to_mail: set[int] = set()
    for attendee in itip.active_attendees(meeting):
        status = statuses.get(itip.mailto(attendee.representative.address).lower(), "")
        code = status.split(";", 1)[0].strip()
        if code[:2] in ("1.", "2."):
            record_sent(attendee, "REQUEST", meeting.sequence, CALDAV)
            if attendee.delivery_state != DELIVERED or attendee.delivery_transport != CALDAV:
                attendee.delivery_state = DELIVERED
                attendee.delivery_transport = CALDAV
                attendee.delivery_error = ""
        elif attendee.delivery_state in (PENDING, FAILED) or attendee.delivery_transport == CALDAV:
            # Not reachable through the server (3.7 unknown user, 5.x ...): iMIP instead.
            attendee.delivery_error = (
                f"CalDAV SCHEDULE-STATUS {status or 'missing'}; sent by e-mail"
            )
            if attendee.delivery_transport == CALDAV:
                attendee.delivery_state = PENDING
            to_mail.add(attendee.id)
    db.commit()
    return to_mail


def _write_cancelled_copy(
    db: Session,
    meeting: Meeting,
    now: datetime,
    calendar: CalendarPort,
    config: InvitationConfig,
    remote: RemoteCopy | None,
) -> None:
    """Cancel by writing the cancelled state (STATUS:CANCELLED, SEQUENCE raised), not by a
    DELETE: every server then delivers the same cancellation with our SEQUENCE (on a DELETE
    each does its own thing), and the copy stays like a feed's cancelled event. It lists only
    whom the server invited: no cancellation to anyone who never had the meeting."""
    listed: list[Attendee] = []
    if remote is not None:
        invited = _remote_attendees(remote)
        listed = [
            a for a in meeting.attendees if itip.mailto(a.representative.address).lower() in invited
        ]
        _sync_copy(db, meeting, now, calendar, config, remote, attendees=listed)
    scheduling = calendar.supports_scheduling()
    for attendee in listed:
        if scheduling and holds_request(attendee, CALDAV):
            record_sent(attendee, "CANCEL", meeting.sequence, CALDAV)
    for attendee in meeting.attendees:
        if not holds_request(attendee) and attendee.delivery_state != CANCELLED:
            attendee.delivery_state = CANCELLED  # took back, or never had it
    db.commit()


def _sync_copy(
    db: Session,
    meeting: Meeting,
    now: datetime,
    calendar: CalendarPort,
    config: InvitationConfig,
    remote: RemoteCopy | None,
    *,
    partstats: Mapping[str, str] | None = None,
    attendees: Iterable[Attendee] | None = None,
) -> None:
    """PUT the organizer's copy (If-Match the copy we read) unless the server's already says
    the same (fingerprint): a repeated delivery writes nothing. ``partstats`` and ``attendees``
    as for ``booking.ical.itip.organizer_copy``."""
    if _remote_fingerprint(remote) == itip.fingerprint(meeting, config.organizer_default):
        return
    data = to_bytes(
        itip.organizer_copy(
            meeting,
            organizer_default=config.organizer_default,
            base_url=config.base_url,
            now=now,
            partstats=partstats,
            attendees=attendees,
        )
    )
    try:
        calendar.put(meeting.uid, data, etag=remote.etag if remote is not None else None)
    except PermanentError as exc:
        # The server refuses the data (e.g. 412 valid-calendar-data): retrying cannot
        # help, and the case page must not go on saying the invitations are on their way.
        db.rollback()
        for attendee in itip.active_attendees(meeting):
            attendee.delivery_state = FAILED
            attendee.delivery_error = str(exc)[:2000]
        db.commit()
        raise


def _remote_partstats(remote: RemoteCopy | None, meeting: Meeting) -> dict[str, str]:
    """Answers the server holds in the organizer's copy that still count (answer_is_current)."""
    if remote is None:
        return {}
    try:
        events = itip.events_of(itip.parse(remote.data))
    except ValueError:
        log.warning("organizer copy of %s unreadable; answers in it not kept", meeting.uid)
        return {}
    by_address = {itip.mailto(a.representative.address).lower(): a for a in meeting.attendees}
    result: dict[str, str] = {}
    for event in events:
        sequence = int(event.get("sequence", 0))
        result.update(
            {
                a: p
                for a, p in itip.partstats_of(event).items()
                if p != "NEEDS-ACTION" and answer_is_current(meeting, by_address.get(a), sequence)
            }
        )
    return result


def _partstats_for_put(meeting: Meeting, remote: dict[str, str]) -> dict[str, str]:
    """Keep the server's answer unless the database has one of its own (link, phone)."""
    result = {}
    for attendee in itip.active_attendees(meeting):
        address = itip.mailto(attendee.representative.address).lower()
        if attendee.replied_at is not None:
            result[address] = attendee.partstat.value
        elif address in remote:
            result[address] = remote[address]
    return result


def _remote_fingerprint(remote: RemoteCopy | None) -> str:
    if remote is None:
        return ""
    try:
        return "".join(itip.fingerprint_of(e) for e in itip.events_of(itip.parse(remote.data)))
    except ValueError:
        return ""


def _remote_attendees(remote: RemoteCopy) -> set[str]:
    """Addresses (mailto:, lower-case) the server's organizer copy lists: whom it invited."""
    try:
        events = itip.events_of(itip.parse(remote.data))
    except ValueError:
        return set()
    return {itip.mailto(str(p)).lower() for e in events for p in itip.attendees_of(e)}
