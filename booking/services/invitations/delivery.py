"""Invitations: one iTIP model, two transports (CalDAV implicit scheduling, iMIP e-mail).

The booking transaction only writes work into the outbox (``enqueue_for_meeting``); the
worker runs ``deliver_meeting`` which makes the outside world match the database:
- with a CalDAV server: the organizer's copy is written (on cancel: the cancelled state, never
  a DELETE); the server schedules; SCHEDULE-STATUS per attendee tells who it could not reach,
  and those get iMIP;
- without one (or a server without scheduling): iMIP to every attendee.
Each attendee row carries its delivery state (pending, delivered, failed with the reason,
cancelled) and transport (caldav, imip), and what it last received (sent_method,
sent_sequence, sent_transport); the meeting carries what the customer last received. Delivery
goes from that to the meeting as it is now, so the order of queued work does not matter.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from booking.domain.visibility import Audience, is_municipal
from booking.domain.vocabulary import MeetingStatus, PartStat
from booking.ical import itip
from booking.ical.event import department_names, location, summary
from booking.ical.serialize import to_bytes
from booking.models import Attendee, Case, CustomerToken, Meeting, OutboxMessage
from booking.services.access.tokens import derive_token, hash_token
from booking.services.invitations import outbox
from booking.services.invitations.outbox import (
    MailPort,
    OutgoingMail,
    PermanentError,
    TransientError,
)

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)

DELIVER = "invitation.deliver"
CUSTOMER = "invitation.customer"

PENDING, DELIVERED, FAILED, CANCELLED = "pending", "delivered", "failed", "cancelled"
CALDAV, IMIP = "caldav", "imip"

WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
MONTHS = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]


@dataclass(frozen=True)
class InvitationConfig:
    organizer_default: str  # settings.organizer_email, when a forum has none
    base_url: str  # settings.public_base_url
    secret_key: str  # derives the personal RSVP tokens
    mail_domain: str = "dorren-in.example"  # right-hand side of Message-IDs

    @classmethod
    def from_settings(cls, settings: Settings) -> InvitationConfig:
        domain = settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "dorren-in.example"
        return cls(
            organizer_default=settings.organizer_email,
            base_url=settings.public_base_url,
            secret_key=settings.secret_key,
            mail_domain=domain,
        )


class RemoteCopy(Protocol):
    href: str
    etag: str
    data: str


class CalendarPort(Protocol):
    """What the worker needs of the CalDAV gateway (booking.adapters.caldav_gateway)."""

    def supports_scheduling(self) -> bool: ...

    def get(self, uid: str) -> RemoteCopy | None: ...

    def put(self, uid: str, data: bytes, *, etag: str | None) -> str: ...

    def delete(self, uid: str, *, etag: str) -> None: ...


# ---------------------------------------------------------------- enqueue (booking transaction)


def enqueue_for_meeting(db: Session, meeting: Meeting, change: str, now: datetime) -> None:
    """Write the CalDAV/iMIP work for this change into the outbox (same transaction).

    booked/rescheduled: every active attendee must receive the (new) invitation;
    cancelled: everyone who received it gets the cancellation; attendees/updated: new
    attendees get it, attendees taken off get a cancellation, the rest is unchanged.
    """
    if change in ("booked", "rescheduled"):
        for attendee in meeting.attendees:
            if attendee.active:
                attendee.delivery_state = PENDING
                attendee.delivery_error = ""
                # Written even when this session's copy already says "pending": the worker
                # may have marked it delivered since it was loaded (no lost update).
                flag_modified(attendee, "delivery_state")
                if change == "rescheduled":
                    attendee.reminders_sent = []
    for attendee in meeting.attendees:
        if attendee.active and attendee.delivery_state == CANCELLED:
            attendee.delivery_state = PENDING  # invited again after being taken off
    if change in ("attendees", "updated"):
        _raise_sequence_for_released(meeting)
    outbox.enqueue(
        db, DELIVER, {"meeting_id": meeting.id}, now, meeting_id=meeting.id, coalesce=True
    )
    if change in ("booked", "rescheduled", "cancelled") and meeting.case.contact_email:
        method = "CANCEL" if change == "cancelled" else "REQUEST"
        outbox.enqueue(
            db,
            CUSTOMER,
            {"meeting_id": meeting.id, "method": method, "sequence": meeting.sequence},
            now,
            meeting_id=meeting.id,
        )


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


def _raise_sequence_for_released(meeting: Meeting) -> None:
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


def _record_sent(attendee: Attendee, method: str, sequence: int, transport: str) -> None:
    """What the attendee now holds: compared with the meeting at the next delivery."""
    if (attendee.sent_method, attendee.sent_sequence, attendee.sent_transport) != (
        method,
        sequence,
        transport,
    ):
        attendee.sent_method = method
        attendee.sent_sequence = sequence
        attendee.sent_transport = transport


# ---------------------------------------------------------------- tokens and links


def rsvp_token(secret_key: str, attendee: Attendee) -> str:
    """The attendee's personal RSVP token: derived, so every mail about it carries the same link.

    Only its SHA-256 is stored; changing SECRET_KEY revokes every link.
    """
    message = f"rsvp:{attendee.id}:{attendee.meeting.uid}:{attendee.representative_id}"
    return derive_token(secret_key, message)


def rsvp_link(attendee: Attendee, config: InvitationConfig) -> str:
    """The personal link ``/r/<token>``; stores the token's hash on first use."""
    token = rsvp_token(config.secret_key, attendee)
    digest = hash_token(token)
    if attendee.rsvp_token_hash != digest:
        attendee.rsvp_token_hash = digest
    return f"{config.base_url}/r/{token}"


def attendee_by_token(db: Session, token: str) -> Attendee | None:
    if not token or len(token) > 200:
        return None
    return db.scalar(select(Attendee).where(Attendee.rsvp_token_hash == hash_token(token)))


def customer_link(
    db: Session,
    case: Case,
    *,
    base_url: str,
    secret_key: str,
    rotate_at: datetime | None = None,
) -> str:
    """The customer's case-page link ``<PUBLIC_BASE_URL>/c/<token>``. No commit.

    The token is derived from SECRET_KEY, the case and the time it was issued, and only its
    hash is stored; so every mail about the case (confirmation, reschedule, minutes) carries
    the same working link. ``rotate_at`` issues a new one (the old link stops working), and so
    does a changed SECRET_KEY.
    """
    row = db.get(CustomerToken, case.id)
    if row is None:
        # created_at is the token's salt: the injected clock stamps it at the flush.
        row = CustomerToken(case_id=case.id, token_hash="")
        if rotate_at is not None:
            row.created_at = rotate_at
        db.add(row)
        db.flush()
    elif rotate_at is not None:
        row.created_at = rotate_at
    token = derive_token(secret_key, f"customer-link:{case.id}:{row.created_at.isoformat()}")
    if row.token_hash != hash_token(token):
        row.token_hash = hash_token(token)
    db.flush()
    return f"{base_url.rstrip('/')}/c/{token}"


def case_by_customer_token(db: Session, token: str) -> Case | None:
    """The case a customer link belongs to (for the customer's case page)."""
    if not token or len(token) > 200:
        return None
    row = db.scalar(select(CustomerToken).where(CustomerToken.token_hash == hash_token(token)))
    return row.case if row is not None else None


# ---------------------------------------------------------------- texts (Swedish with English)


def local_when(meeting: Meeting) -> str:
    """E.g. "tisdag 8 december 2026, 13:00–14:00 (v. 50)"."""
    return _when(meeting, meeting.starts_at, meeting.ends_at)


def _when(meeting: Meeting, starts_at: datetime, ends_at: datetime) -> str:
    zone = ZoneInfo(meeting.case.forum.timezone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    week = start.isocalendar().week
    return (
        f"{WEEKDAYS[start.weekday()]} {start.day} {MONTHS[start.month - 1]} {start.year}, "
        f"{start:%H:%M}–{end:%H:%M} (v. {week})"
    )


@dataclass(frozen=True)
class MailText:
    subject: str
    text: str
    html: str


def _html(paragraphs: list[str], link: str = "", link_label: str = "") -> str:
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    if link:
        body += f'<p><a href="{html.escape(link)}">{html.escape(link_label or link)}</a></p>'
    return f'<!doctype html><html lang="sv"><body>{body}</body></html>'


def invitation_text(meeting: Meeting, attendee: Attendee, link: str, *, cancel: bool) -> MailText:
    # The subject and body say of the case what this attendee may see (a confidential case:
    # "Forum – sekretess" and its reference; a consent for municipal departments only: the
    # company's name not to an external authority's representative).
    title = summary(meeting, Audience.ATTENDEE, is_municipal(attendee.department.kind))
    when, where = local_when(meeting), location(meeting)
    if cancel:
        subject = f"Inställt / Cancelled: {title}"
        lead = (
            "Mötet är inställt eller du behövs inte längre på det. "
            "(The meeting is cancelled, or you are no longer needed at it.)"
        )
        paragraphs = [f"Hej {attendee.representative.name},", lead, f"{title}\n{when}\n{where}"]
        return MailText(subject, "\n\n".join(paragraphs), _html(paragraphs))
    moved = meeting.sequence > 0
    subject = f"{'Ändrad tid / Updated' if moved else 'Inbjudan / Invitation'}: {title}"
    paragraphs = [
        f"Hej {attendee.representative.name},",
        (
            f"Du är inbjuden som representant för {attendee.department.name} till ett forummöte. "
            "(You are invited to a forum meeting as your department's representative.)"
        ),
        f"Tid / When: {when}\nPlats / Where: {where}",
        "Förvaltningar / Departments: " + ", ".join(department_names(meeting)),
        (
            "Svara i din kalender eller via din personliga länk; alla inbjudna måste svara. "
            "(Reply in your calendar or through your personal link; everyone invited must reply.)"
        ),
    ]
    text = "\n\n".join([*paragraphs, link])
    return MailText(subject, text, _html(paragraphs, link, "Svara / Reply"))


def customer_text(meeting: Meeting, link: str, *, cancel: bool, previously: str = "") -> MailText:
    """The customer's confirmation, cancellation, or (``previously``: the time they were told
    before) the new time of a moved meeting."""
    case = meeting.case
    when, where = local_when(meeting), location(meeting)
    convener = meeting.convener.name if meeting.convener else "meddelas senare / to be announced"
    if cancel:
        subject = f"Inställt möte / Meeting cancelled: {case.forum.name}, ärende {case.reference}"
        paragraphs = [
            f"Hej {case.contact_name or case.org_name},",
            (
                f"Mötet {when} om ert ärende {case.reference} är inställt. Vi hör av oss med en "
                "ny tid. (The meeting about your case is cancelled; we will be in touch.)"
            ),
        ]
        if meeting.cancel_reason:
            paragraphs.append(f"Orsak / Reason: {meeting.cancel_reason}")
        return MailText(subject, "\n\n".join([*paragraphs, link]), _html(paragraphs, link))
    if previously:
        subject = f"Ny tid / New time: {case.forum.name}, ärende {case.reference}"
        lead = (
            f"Mötet om ert ärende {case.reference} har flyttats till en ny tid. "
            "(The meeting about your case has been moved to a new time.)"
        )
        time_line = f"Ny tid / New time: {when}, tidigare / previously {previously}"
    else:
        subject = f"Bekräftelse / Confirmation: {case.forum.name}, ärende {case.reference}"
        lead = (
            f"Välkommen till {case.forum.name}. Här är tiden för mötet om ert ärende "
            f"{case.reference}. (Welcome; here is the time of the meeting about your case.)"
        )
        time_line = f"Tid / When: {when}"
    paragraphs = [
        f"Hej {case.contact_name or case.org_name},",
        lead,
        f"{time_line}\nPlats / Where: {where}\nSammankallande / Convener: {convener}",
        "Förvaltningar som deltar / Departments attending:\n"
        + "\n".join(f"- {name}" for name in department_names(meeting)),
        (
            "På er ärendesida ser ni mötet, tidsplanen och uppföljningen. "
            "(Your case page shows the meeting, the timeline and the follow-up.)"
        ),
    ]
    return MailText(
        subject,
        "\n\n".join([*paragraphs, link]),
        _html(paragraphs, link, "Er ärendesida / Your case page"),
    )


# ---------------------------------------------------------------- delivery (worker)


def _message_id(
    kind: str, meeting: Meeting, attendee_id: int | str, config: InvitationConfig
) -> str:
    return f"<{kind}-{meeting.id}-{meeting.sequence}-{attendee_id}@{config.mail_domain}>"


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


def _put_copy(
    db: Session,
    meeting: Meeting,
    calendar: CalendarPort,
    data: bytes,
    remote: RemoteCopy | None,
) -> None:
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
        if _remote_fingerprint(remote) != itip.fingerprint(meeting, config.organizer_default):
            data = to_bytes(
                itip.organizer_copy(
                    meeting,
                    organizer_default=config.organizer_default,
                    base_url=config.base_url,
                    now=now,
                    attendees=listed,
                )
            )
            _put_copy(db, meeting, calendar, data, remote)
    scheduling = calendar.supports_scheduling()
    for attendee in listed:
        if scheduling and holds_request(attendee, CALDAV):
            _record_sent(attendee, "CANCEL", meeting.sequence, CALDAV)
    for attendee in meeting.attendees:
        if not holds_request(attendee) and attendee.delivery_state != CANCELLED:
            attendee.delivery_state = CANCELLED  # took back, or never had it
    db.commit()


def _write_organizer_copy(
    db: Session, meeting: Meeting, now: datetime, calendar: CalendarPort, config: InvitationConfig
) -> set[int]:
    """Make the server's organizer copy match the meeting; returns attendee ids to mail."""
    remote = calendar.get(meeting.uid)
    if meeting.status == MeetingStatus.CANCELLED:
        _write_cancelled_copy(db, meeting, now, calendar, config, remote)
        return set()
    want = itip.fingerprint(meeting, config.organizer_default)
    if _remote_fingerprint(remote) != want:
        data = to_bytes(
            itip.organizer_copy(
                meeting,
                organizer_default=config.organizer_default,
                base_url=config.base_url,
                now=now,
                partstats=_partstats_for_put(meeting, _remote_partstats(remote, meeting)),
            )
        )
        _put_copy(db, meeting, calendar, data, remote)
    if not calendar.supports_scheduling():
        db.commit()
        return {a.id for a in itip.active_attendees(meeting)}
    for attendee in meeting.attendees:
        if not attendee.active and holds_request(attendee, CALDAV):
            # Taken off the ATTENDEE list: the scheduling server sends them the CANCEL.
            _record_sent(attendee, "CANCEL", meeting.sequence, CALDAV)
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
            _record_sent(attendee, "REQUEST", meeting.sequence, CALDAV)
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


def _send_imip(
    db: Session,
    meeting: Meeting,
    now: datetime,
    mailer: MailPort,
    config: InvitationConfig,
    targets: set[int],
) -> None:
    """From what each attendee last received to what they must hold now, whatever happened in
    between: a REQUEST to the targets still pending; a CANCEL to everyone off the meeting who
    still holds a REQUEST (the scheduling server, when there is one, has already taken back
    what it delivered); nothing to someone who never received anything."""
    cancelled = meeting.status == MeetingStatus.CANCELLED
    for attendee in list(meeting.attendees):
        if cancelled or not attendee.active:
            if holds_request(attendee):
                _mail_attendee(db, meeting, attendee, now, mailer, config, cancel=True)
            elif attendee.delivery_state != CANCELLED:
                attendee.delivery_state = CANCELLED  # never reached; nothing to take back
                db.commit()
            continue
        if attendee.id in targets and attendee.delivery_state in (PENDING, FAILED):
            _mail_attendee(db, meeting, attendee, now, mailer, config, cancel=False)


def _mail_attendee(
    db: Session,
    meeting: Meeting,
    attendee: Attendee,
    now: datetime,
    mailer: MailPort,
    config: InvitationConfig,
    *,
    cancel: bool,
) -> None:
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
    mail = OutgoingMail(
        to=(attendee.representative.email,),
        subject=text.subject,
        text=text.text,
        html=text.html,
        ics=to_bytes(cal),
        ics_method=method,
        message_id=_message_id(method.lower(), meeting, attendee.id, config),
        reply_to=itip.organizer_email(meeting, config.organizer_default),
        date=now,
    )
    try:
        mailer.send(mail)
    except (TransientError, PermanentError) as exc:
        attendee.delivery_state = FAILED
        attendee.delivery_transport = IMIP
        attendee.delivery_error = str(exc)[:2000]
        db.commit()
        raise
    # Recorded right after the send: a crash between the two repeats at most this one mail.
    # What the attendee now holds is a fact whatever happened meanwhile (a CANCEL is owed for
    # it if the meeting was cancelled while we sent). Under the meeting's row lock: if the
    # meeting changed while we sent (a reschedule set everyone back to pending), the state
    # stays pending and the newer version goes out next.
    sent_sequence = meeting.sequence
    _record_sent(attendee, method, sent_sequence, IMIP)
    query = select(Meeting.sequence).where(Meeting.id == meeting.id)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    if db.scalar(query) != sent_sequence:
        db.commit()
        return
    attendee.delivery_state = CANCELLED if cancel else DELIVERED
    attendee.delivery_transport = IMIP
    if not cancel and not attendee.delivery_error.startswith("CalDAV"):
        attendee.delivery_error = ""
    db.commit()


def deliver_meeting(
    db: Session,
    meeting_id: int,
    now: datetime,
    *,
    calendar: CalendarPort | None,
    mailer: MailPort,
    config: InvitationConfig,
) -> None:
    """Bring the invitations of one meeting up to date (idempotent; run again on failure)."""
    meeting = db.get(Meeting, meeting_id)
    if meeting is None:
        return
    if calendar is not None:
        targets = _write_organizer_copy(db, meeting, now, calendar, config)
    else:
        targets = {a.id for a in itip.active_attendees(meeting)}
    _send_imip(db, meeting, now, mailer, config, targets)


def _previously(meeting: Meeting, sent: dict[str, Any]) -> str:
    """The time the customer was last told, when the meeting has moved since ("" if not)."""
    try:
        starts_at = datetime.fromisoformat(str(sent["starts_at"]))
        ends_at = datetime.fromisoformat(str(sent["ends_at"]))
    except (KeyError, ValueError):
        return ""
    if starts_at.tzinfo is None:
        starts_at, ends_at = starts_at.replace(tzinfo=UTC), ends_at.replace(tzinfo=UTC)
    if (starts_at, ends_at) == (meeting.starts_at, meeting.ends_at):
        return ""
    return _when(meeting, starts_at, ends_at)


def deliver_customer(
    db: Session,
    payload: dict[str, Any],
    now: datetime,
    *,
    mailer: MailPort,
    config: InvitationConfig,
) -> None:
    """The customer's confirmation (REQUEST), new time (REQUEST) or cancellation (CANCEL): one
    mail, one .ics. Worked out from what the customer last received (``customer_sent``) and the
    meeting as it is now, not from the queued message, so the order of queued work does not
    matter: a CANCEL only to a customer who had the meeting, nothing twice."""
    meeting = db.get(Meeting, int(payload["meeting_id"]))
    if meeting is None or not meeting.case.contact_email:
        return
    sent = dict(meeting.customer_sent or {})
    had_it = sent.get("method") == "REQUEST"
    if meeting.status == MeetingStatus.CANCELLED:
        if not had_it:
            return  # never told of the meeting, or already told it is cancelled
        method = "CANCEL"
    elif had_it and sent.get("sequence") == meeting.sequence:
        return  # already holds this version
    else:
        method = "REQUEST"
    previously = _previously(meeting, sent) if method == "REQUEST" and had_it else ""
    link = customer_link(db, meeting.case, base_url=config.base_url, secret_key=config.secret_key)
    cal = itip.customer_request(
        meeting,
        organizer_default=config.organizer_default,
        base_url=config.base_url,
        now=now,
        case_link=link,
        method=method,
    )
    text = customer_text(meeting, link, cancel=method == "CANCEL", previously=previously)
    mailer.send(
        OutgoingMail(
            to=(meeting.case.contact_email,),
            subject=text.subject,
            text=text.text,
            html=text.html,
            ics=to_bytes(cal),
            ics_method=method,
            message_id=_message_id(f"customer-{method.lower()}", meeting, "c", config),
            reply_to=itip.organizer_email(meeting, config.organizer_default),
            date=now,
        )
    )
    meeting.customer_sent = {
        "method": method,
        "sequence": meeting.sequence,
        "starts_at": meeting.starts_at.isoformat(),
        "ends_at": meeting.ends_at.isoformat(),
    }
    db.commit()


def handlers(
    *, calendar: CalendarPort | None, mailer: MailPort, config: InvitationConfig
) -> dict[str, outbox.Handler]:
    """Outbox handlers of this module plus the generic e-mail kind."""

    def deliver(db: Session, message: OutboxMessage, now: datetime) -> None:
        deliver_meeting(
            db,
            int(message.payload["meeting_id"]),
            now,
            calendar=calendar,
            mailer=mailer,
            config=config,
        )

    def customer(db: Session, message: OutboxMessage, now: datetime) -> None:
        deliver_customer(db, dict(message.payload), now, mailer=mailer, config=config)

    return {
        DELIVER: deliver,
        CUSTOMER: customer,
        outbox.EMAIL: outbox.email_handler(mailer, config.mail_domain),
    }


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


__all__ = [
    "CALDAV",
    "DELIVER",
    "IMIP",
    "CalendarPort",
    "InvitationConfig",
    "PartStat",
    "attendee_by_token",
    "attendee_statuses",
    "customer_link",
    "deliver_meeting",
    "enqueue_for_meeting",
    "handlers",
    "rsvp_link",
]
