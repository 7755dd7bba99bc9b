"""Answers in calendar data: the organizer's copy on the CalDAV server and iMIP REPLY e-mails.

Each answer found goes through ``booking.services.invitations.replies.record_reply`` (audited,
with its channel), when it answers the version the attendee holds (``answer_is_current``).
"""

from __future__ import annotations

import email
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from booking.domain import rsvp as rules
from booking.domain.vocabulary import LIVE_MEETING
from booking.ical import itip
from booking.models import Attendee, KeyValue, Meeting
from booking.services import audit
from booking.services.errors import ServiceError
from booking.services.invitations.reconcile import answer_is_current
from booking.services.invitations.replies import RsvpPolicy, record_reply

log = logging.getLogger(__name__)

SYNC_TOKEN_KEY = "caldav.sync_token"


@dataclass
class ApplyReport:
    applied: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


def _match(meeting: Meeting, address: str) -> Attendee | None:
    """Lenient: mailto: optional, case-insensitive, active attendees first."""
    wanted = itip.mailto(address).lower()
    found = [
        a for a in meeting.attendees if itip.mailto(a.representative.address).lower() == wanted
    ]
    if not found:
        found = [
            a for a in meeting.attendees if itip.mailto(a.representative.email).lower() == wanted
        ]
    found.sort(key=lambda a: not a.active)
    return found[0] if found else None


def apply_calendar_answers(
    db: Session,
    data: str | bytes,
    channel: str,
    now: datetime,
    *,
    policy: RsvpPolicy | None = None,
    report: ApplyReport | None = None,
    note: str = "",
) -> ApplyReport:
    """Apply the PARTSTATs in calendar data (the organizer's copy, or an iMIP REPLY).
    ``note`` goes with each answer into the audit trail (e.g. which e-mail carried it).

    Matched by UID and attendee address only; ORGANIZER is not required (Outlook strips it).
    Data that cannot be read, or an unknown PARTSTAT, is logged and skipped.
    """
    report = report or ApplyReport()
    try:
        events = itip.events_of(itip.parse(data))
    except ValueError as exc:
        report.skipped += 1
        report.problems.append(str(exc))
        log.warning("skipped malformed calendar data (%s): %s", channel, exc)
        return report
    for event in events:
        uid = str(event.get("uid", "")).strip()
        meeting = db.scalar(
            select(Meeting).where(Meeting.uid == uid).options(selectinload(Meeting.attendees))
        )
        if meeting is None:
            report.skipped += 1
            continue
        try:
            sequence = int(event.get("sequence", 0))
        except (TypeError, ValueError):
            sequence = -1
        answers = {
            address: partstat
            for address, partstat in itip.partstats_of(event).items()
            if answer_is_current(meeting, _match(meeting, address), sequence)
        }
        if not answers or meeting.status not in LIVE_MEETING:
            report.unchanged += 1  # an answer to an older version, or a closed meeting
            continue
        for address, partstat in answers.items():
            _apply_one(db, meeting, address, partstat, channel, now, policy, report, note)
    return report


def _apply_one(
    db: Session,
    meeting: Meeting,
    address: str,
    partstat: str,
    channel: str,
    now: datetime,
    policy: RsvpPolicy | None,
    report: ApplyReport,
    note: str = "",
) -> None:
    attendee = _match(meeting, address)
    if attendee is None or not attendee.active:
        return
    if partstat not in rules.VALID_PARTSTATS:
        report.skipped += 1
        report.problems.append(f"{meeting.uid} {address}: unknown PARTSTAT {partstat!r}")
        log.warning("skipped answer with unknown PARTSTAT %r for %s", partstat, meeting.uid)
        return
    if partstat == "NEEDS-ACTION" or attendee.partstat.value == partstat:
        report.unchanged += 1
        return
    try:
        record_reply(
            db,
            attendee,
            partstat,
            channel,
            now,
            actor=audit.Actor.system(channel),
            note=note,
            policy=policy,
        )
    except ServiceError as exc:
        db.rollback()
        report.skipped += 1
        report.problems.append(exc.message)
        return
    report.applied += 1


def sync_caldav_replies(
    db: Session, calendar: object, now: datetime, *, policy: RsvpPolicy | None = None
) -> ApplyReport:
    """Read what changed in the organizer's calendar since the stored sync token and apply it."""
    row = db.get(KeyValue, SYNC_TOKEN_KEY)
    result = calendar.sync(row.value if row and row.value else None)  # type: ignore[attr-defined]
    report = ApplyReport()
    for obj in result.changed:
        apply_calendar_answers(db, obj.data, "caldav", now, policy=policy, report=report)
    row = db.get(KeyValue, SYNC_TOKEN_KEY)
    if row is None:
        db.add(KeyValue(key=SYNC_TOKEN_KEY, value=result.token, updated_at=now))
    else:
        row.value = result.token
        row.updated_at = now
    db.commit()
    return report


def import_imip_reply(
    db: Session, raw_mail: bytes, now: datetime, *, policy: RsvpPolicy | None = None
) -> ApplyReport:
    """An iMIP REPLY e-mail (piped from the mail system): apply every text/calendar part."""
    report = ApplyReport()
    message = email.message_from_bytes(raw_mail)
    # For the audit trail: which e-mail carried the answer (an auditor can find it in the
    # organizer's mailbox).
    note = " ".join(
        f"{label} {str(message[header]).strip()}"
        for label, header in (("E-post från", "From"), ("Message-ID", "Message-ID"))
        if message[header]
    )[:500]
    for part in message.walk():
        if part.get_content_type() in ("text/calendar", "application/ics"):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                apply_calendar_answers(
                    db, payload, "email", now, policy=policy, report=report, note=note
                )
    return report


class ReplyMailbox(Protocol):
    """The organizer's mailbox (adapters.mailbox): messages to read, and where each goes."""

    def messages(self) -> Iterable[tuple[str, bytes]]: ...

    def file(self, uid: str, understood: bool) -> None: ...


def import_mailbox_replies(
    db: Session, mailbox: ReplyMailbox, now: datetime, *, policy: RsvpPolicy | None = None
) -> ApplyReport:
    """Apply the iMIP replies waiting in the organizer's mailbox, one message at a time.

    Each message's answers are committed before the message is filed, so a failure in between
    only means it is read again (and found unchanged). A message with no answer to a known
    meeting (an out-of-office notice, a question typed by hand) is filed for a person to read.
    """
    total = ApplyReport()
    for uid, raw in mailbox.messages():
        one = import_imip_reply(db, raw, now, policy=policy)
        db.commit()
        understood = one.applied + one.unchanged > 0
        mailbox.file(uid, understood)
        total.applied += one.applied
        total.unchanged += one.unchanged
        total.skipped += one.skipped if understood else max(one.skipped, 1)
        total.problems += one.problems
    return total
