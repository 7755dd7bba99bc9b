"""Invitations: one iTIP model, two transports (CalDAV implicit scheduling, iMIP e-mail).

The booking transaction only writes work into the outbox (``enqueue_for_meeting``); the
worker runs ``deliver_meeting`` which makes the outside world match the database:
- with a CalDAV server: the organizer's copy is written (booking.services.invitations.
  organizer_copy; on cancel: the cancelled state, never a DELETE); the server schedules;
  SCHEDULE-STATUS per attendee tells who it could not reach, and those get iMIP;
- without one (or a server without scheduling): iMIP to every attendee
  (booking.services.invitations.messages builds each message).
Delivery goes from what each recipient last received to the meeting as it is now
(booking.services.invitations.reconcile), so the order of queued work does not matter.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from booking.domain.cases import has_customer
from booking.domain.vocabulary import MeetingStatus
from booking.ical import itip
from booking.models import Attendee, Meeting, OutboxMessage
from booking.services.invitations import outbox
from booking.services.invitations.links import customer_link
from booking.services.invitations.messages import attendee_mail, customer_mail
from booking.services.invitations.organizer_copy import write_organizer_copy
from booking.services.invitations.outbox import MailPort, PermanentError, TransientError
from booking.services.invitations.ports import CalendarPort, InvitationConfig
from booking.services.invitations.reconcile import (
    CANCELLED,
    DELIVERED,
    FAILED,
    IMIP,
    PENDING,
    holds_request,
    raise_sequence_for_released,
    record_sent,
)
from booking.services.invitations.texts import when
from booking.services.preparation.confirmation import customer_preparation

DELIVER = "invitation.deliver"
CUSTOMER = "invitation.customer"


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
        raise_sequence_for_released(meeting)
    outbox.enqueue(
        db, DELIVER, {"meeting_id": meeting.id}, now, meeting_id=meeting.id, coalesce=True
    )
    if change in ("booked", "rescheduled", "cancelled") and _writes_to_customer(meeting):
        method = "CANCEL" if change == "cancelled" else "REQUEST"
        outbox.enqueue(
            db,
            CUSTOMER,
            {"meeting_id": meeting.id, "method": method, "sequence": meeting.sequence},
            now,
            meeting_id=meeting.id,
        )


def _writes_to_customer(meeting: Meeting) -> bool:
    """The case has a customer (not Forum internt) with an address to write to."""
    return has_customer(meeting.case) and bool(meeting.case.contact_email)


def send_again(attendees: Iterable[Attendee]) -> None:
    """These attendees must receive the current version even though they hold an earlier one
    (their task in the meeting changed: they now chair it, or no longer do). No commit."""
    for attendee in attendees:
        if attendee.active:
            attendee.delivery_state = PENDING
            flag_modified(attendee, "delivery_state")


# ---------------------------------------------------------------- delivery (worker)


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
        targets = write_organizer_copy(db, meeting, now, calendar, config)
    else:
        targets = {a.id for a in itip.active_attendees(meeting)}
    _send_imip(db, meeting, now, mailer, config, targets)


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
    mail = attendee_mail(meeting, attendee, now, config, cancel=cancel)
    method = "CANCEL" if cancel else "REQUEST"
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
    record_sent(attendee, method, sent_sequence, IMIP)
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
    return when(meeting, starts_at, ends_at)


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
    if meeting is None or not _writes_to_customer(meeting):
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
    preparation = customer_preparation(db, meeting) if method == "REQUEST" else None
    mailer.send(
        customer_mail(
            meeting,
            now,
            config,
            method=method,
            case_link=link,
            previously=previously,
            preparation=preparation,
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
