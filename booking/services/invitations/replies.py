"""All must reply: record answers (CalDAV, e-mail, link, phone), count them, remind, bring deputies.

Answers arrive through four channels and all go through ``record_reply``: audited, with the
channel and an optional note. A decline brings in the department's deputy (when configured)
and tells the coordinator; the case is confirmed once every required department has an
accepting representative.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from html import escape
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from booking.domain import rsvp as rules
from booking.domain.vocabulary import CaseStatus, MeetingStatus, PartStat
from booking.holiday_calendar import non_working_days
from booking.ical import itip
from booking.models import Attendee, KeyValue, Meeting, Representative
from booking.services import audit
from booking.services.cases.registry import transition
from booking.services.errors import Conflict, Invalid, NotFound, ServiceError
from booking.services.inputs import strip_controls
from booking.services.invitations import outbox
from booking.services.invitations.delivery import (
    InvitationConfig,
    answer_is_current,
    local_when,
    rsvp_link,
)
from booking.services.meetings.booking import assign_attendee, release_attendee
from booking.services.meetings.events import meeting_changed
from booking.services.policies import policies_of

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)

SYNC_TOKEN_KEY = "caldav.sync_token"
LIVE = (MeetingStatus.BOOKED, MeetingStatus.CONFIRMED)


@dataclass(frozen=True)
class RsvpPolicy:
    deputy_on_decline: bool = True
    reminder_working_days: tuple[int, ...] = (5, 2)

    @classmethod
    def from_settings(cls, settings: Settings) -> RsvpPolicy:
        return cls(
            deputy_on_decline=settings.deputy_on_decline,
            reminder_working_days=settings.reminder_working_days,
        )


# ---------------------------------------------------------------- recording an answer


def record_reply(
    db: Session,
    attendee: Attendee,
    partstat: str | PartStat,
    channel: str,
    now: datetime,
    *,
    actor: audit.Actor,
    note: str = "",
    policy: RsvpPolicy | None = None,
) -> Attendee:
    """Record one answer and commit; then bring in a deputy and confirm the case if due."""
    policy = policy or policies_of(db).rsvp
    value = str(partstat.value if isinstance(partstat, PartStat) else partstat).upper()
    if value not in rules.ANSWERED:
        raise Invalid(
            f"Unknown answer {partstat!r}; use ACCEPTED, DECLINED or TENTATIVE.",
            {"partstat": str(partstat)},
        )
    if channel not in rules.CHANNELS:
        raise Invalid(f"Unknown channel {channel!r}; use {', '.join(rules.CHANNELS)}.")
    meeting = attendee.meeting
    if meeting.status not in LIVE:
        raise Conflict(
            f"The meeting is {meeting.status.value}; answers are closed.",
            {"status": meeting.status.value},
            reason="answers_closed",
        )
    if not attendee.active:
        raise Conflict(
            f"{attendee.representative.name} is no longer invited to this meeting.",
            {"name": attendee.representative.name},
            reason="no_longer_invited",
        )
    note = strip_controls(note)
    before = {"partstat": attendee.partstat, "channel": attendee.reply_channel}
    attendee.partstat = PartStat(value)
    attendee.replied_at = now
    attendee.reply_channel = channel
    attendee.reply_note = note.strip()
    audit.record(
        db,
        actor,
        "attendee",
        attendee.id,
        "reply",
        before=before,
        after={"partstat": value, "channel": channel},
        case_id=meeting.case_id,
        note=note.strip(),
        at=now,
    )
    db.commit()
    if value == "DECLINED":
        _after_decline(db, attendee, now, policy)
    update_confirmation(db, meeting, now)
    return attendee


def record_phone_reply(
    db: Session,
    attendee_id: int,
    partstat: str,
    note: str,
    now: datetime,
    *,
    actor: audit.Actor,
    policy: RsvpPolicy | None = None,
) -> Attendee:
    """The coordinator records an answer given by phone; a note is required (audited)."""
    attendee = db.get(Attendee, attendee_id)
    if attendee is None:
        raise NotFound(f"Attendee {attendee_id} not found.")
    if not note.strip():
        raise Invalid(
            "Say who answered and when in the note.", {"note": "required"}, reason="note_required"
        )
    return record_reply(db, attendee, partstat, "phone", now, actor=actor, note=note, policy=policy)


def _deputies(db: Session, attendee: Attendee) -> list[Representative]:
    taken = {a.representative_id for a in attendee.meeting.attendees if a.active}
    reps = db.scalars(
        select(Representative)
        .where(
            Representative.department_id == attendee.department_id,
            Representative.active.is_(True),
        )
        .order_by(Representative.is_deputy.desc(), Representative.id)
    ).all()
    return [r for r in reps if r.id not in taken and r.id != attendee.representative_id]


def _after_decline(db: Session, attendee: Attendee, now: datetime, policy: RsvpPolicy) -> None:
    """Bring in the department's deputy (own unit of work) and tell the coordinator."""
    meeting = attendee.meeting
    chosen: Representative | None = None
    if policy.deputy_on_decline and attendee.required:
        for candidate in _deputies(db, attendee):
            try:
                assign_attendee(db, meeting, candidate, required=True, now=now)
            except ServiceError as exc:
                log.info("deputy %s not available: %s", candidate.name, exc.message)
                db.rollback()
                continue
            chosen = candidate
            break
        if chosen is not None:
            release_attendee(db, attendee)
            audit.record(
                db,
                audit.Actor.system("rsvp"),
                "attendee",
                attendee.id,
                "deputy",
                after={"deputy_id": chosen.id, "deputy": chosen.name},
                case_id=meeting.case_id,
                note=f"{attendee.representative.name} declined; {chosen.name} invited",
                at=now,
            )
            meeting_changed(db, meeting, "attendees", now)
    _tell_coordinator(db, meeting, attendee, chosen, now)
    db.commit()


def _tell_coordinator(
    db: Session, meeting: Meeting, attendee: Attendee, deputy: Representative | None, now: datetime
) -> None:
    case = meeting.case
    to = case.received_by.email if case.received_by else case.forum.organizer_email
    if not to:
        return
    rep = attendee.representative
    if deputy is not None:
        outcome = f"Ersättaren {deputy.name} är inbjuden. (The deputy {deputy.name} is invited.)"
    else:
        outcome = (
            "Ingen ersättare kunde bjudas in; välj någon i ärendet. "
            "(No deputy could be invited; pick someone in the case.)"
        )
    text = (
        f"{rep.name} ({attendee.department.name}) har tackat nej till mötet {local_when(meeting)} "
        f"i ärende {case.reference}. ({rep.name} declined.)\n\n{outcome}"
    )
    outbox.enqueue_email(
        db,
        now,
        to=to,
        subject=f"Avböjt / Declined: {case.reference}, {attendee.department.name}",
        text=text,
        meeting_id=meeting.id,
    )


def update_confirmation(db: Session, meeting: Meeting, now: datetime) -> bool:
    """Mark the meeting and case confirmed when every required department has accepted."""
    db.refresh(meeting)
    if meeting.status != MeetingStatus.BOOKED:
        return meeting.status == MeetingStatus.CONFIRMED
    required_departments = [d.id for d in meeting.case.departments] or [
        a.department_id for a in meeting.attendees if a.active and a.required
    ]
    if not rules.is_confirmed(required_departments, _answers(meeting)):
        return False
    if meeting.case.status == CaseStatus.BOOKED:
        transition(
            db,
            meeting.case_id,
            CaseStatus.CONFIRMED,
            audit.Actor.system("rsvp"),
            now=now,
            note="alla förvaltningar har tackat ja / every department accepted",
        )
    return True


def _answers(meeting: Meeting) -> list[rules.AttendeeAnswer]:
    return [
        rules.AttendeeAnswer(a.department_id, a.required, a.partstat.value)
        for a in meeting.attendees
        if a.active
    ]


def reply_count(meeting: Meeting) -> rules.ReplyCount:
    """ "x of y replied" (required, active attendees)."""
    return rules.reply_count(_answers(meeting))


# ---------------------------------------------------------------- answers from iTIP data


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
        if not answers or meeting.status not in LIVE:
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
    import email

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


# ---------------------------------------------------------------- reminders


def send_due_reminders(
    db: Session,
    now: datetime,
    config: InvitationConfig,
    *,
    offsets: Iterable[int] = (5, 2),
) -> int:
    """E-mail everyone who has not answered when a reminder offset is reached. Returns how many."""
    offsets = tuple(offsets)
    meetings = db.scalars(
        select(Meeting)
        .where(Meeting.status.in_(LIVE), Meeting.starts_at > now)
        .options(selectinload(Meeting.attendees))
    ).all()
    sent = 0
    closed_cache: dict[int, set[date]] = {}
    for meeting in meetings:
        for attendee in meeting.attendees:
            if not attendee.active or attendee.partstat != PartStat.NEEDS_ACTION:
                continue
            year = meeting.starts_at.year
            closed = closed_cache.setdefault(
                year, set(non_working_days([year - 1, year], include_half_days=False))
            )
            due = rules.due_offsets(
                now=now,
                meeting_start=meeting.starts_at,
                invited_at=attendee.invited_at,
                offsets=offsets,
                already_sent=attendee.reminders_sent or [],
                timezone=meeting.case.forum.timezone,
                closed=closed,
            )
            if not due:
                continue
            _remind(db, meeting, attendee, now, config)
            attendee.reminders_sent = sorted({*(attendee.reminders_sent or []), *due})
            sent += 1
    db.commit()
    return sent


def _remind(
    db: Session, meeting: Meeting, attendee: Attendee, now: datetime, config: InvitationConfig
) -> None:
    link = rsvp_link(attendee, config)
    rep = attendee.representative
    text = (
        f"Hej {rep.name},\n\nPåminnelse: du har inte svarat på inbjudan till forummötet "
        f"{local_when(meeting)} (ärende {meeting.case.reference}). Svara i din kalender eller här:"
        f"\n{link}\n\n(Reminder: please reply to the forum meeting invitation.)"
    )
    html_text = (
        f"<p>Hej {escape(rep.name)},</p><p>Påminnelse: du har inte svarat på inbjudan till "
        f"forummötet {local_when(meeting)} (ärende {escape(meeting.case.reference)}).</p>"
        f'<p><a href="{escape(link)}">Svara / Reply</a></p><p>(Reminder: please reply to the '
        "forum meeting invitation.)</p>"
    )
    outbox.enqueue_email(
        db,
        now,
        to=rep.email,
        subject=f"Påminnelse / Reminder: svara på inbjudan, {meeting.case.reference}",
        text=text,
        html=html_text,
        meeting_id=meeting.id,
    )


def meetings_awaiting_replies(db: Session, forum_id: int | None = None) -> list[Meeting]:
    """Live meetings where some required attendee has not answered (for the coordinator)."""
    query = select(Meeting).where(Meeting.status.in_(LIVE)).order_by(Meeting.starts_at)
    meetings = db.scalars(query).all()
    return [
        m
        for m in meetings
        if (forum_id is None or m.case.forum_id == forum_id) and not reply_count(m).all_replied
    ]
