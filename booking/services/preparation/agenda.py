"""The agenda (dagordning) of a forum afternoon (issue 14 §4).

Each booked case in slot order with its time, reference, category, brief, the questions the
business ticked and the forum's questions for its category, the departments with what each
will cover, the convener and the documents. ``build_agenda`` gathers everything once; what a
reader may see of each item is decided by the visibility policy
(booking.domain.visibility.agenda_shows), per reader: a confidential case shows only its
reference to whoever may not see more.

The worker sends the agenda to every attending representative ``AGENDA_WORKING_DAYS`` Swedish
working days before the afternoon (``send_due_agendas``), exactly once: the afternoon is
claimed with a conditional UPDATE of ``sessions.agenda_sent_at``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from booking.db import conflict_insert
from booking.domain.agenda import agenda_due
from booking.domain.visibility import (
    ConsentScope,
    Visibility,
    agenda_parts,
    case_title,
    is_municipal,
    staff_visibility,
)
from booking.domain.vocabulary import (
    CATEGORY_LABELS,
    LIVE_MEETING,
    REQUEST_QUESTIONS,
    CaseCategory,
    PartStat,
    Role,
    SessionKind,
    SessionStatus,
)
from booking.holiday_calendar import non_working_days
from booking.models import (
    AgendaDelivery,
    Attendee,
    ContactRequest,
    Meeting,
    Representative,
    Slot,
)
from booking.models import Session as ForumSession
from booking.services.cases.access import Reader, invited_case_ids
from booking.services.errors import NotFound
from booking.services.invitations import outbox
from booking.services.invitations.ports import InvitationConfig
from booking.services.mail.render import MailText, render
from booking.services.preparation import documents
from booking.services.preparation.confirmation import DepartmentCover, meeting_departments
from booking.services.preparation.guides import guide_for

SV_DAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
SV_MONTHS = (
    *("januari", "februari", "mars", "april", "maj", "juni"),
    *("juli", "augusti", "september", "oktober", "november", "december"),
)


@dataclass(frozen=True)
class DocumentName:
    """A document listed by name and size (never its content), with the id its download
    link needs."""

    id: int
    filename: str
    size: int


@dataclass(frozen=True)
class AgendaItem:
    """One booked case in its slot, with everything any reader may see of it."""

    meeting_id: int
    case_id: int
    starts_at: datetime
    ends_at: datetime
    reference: str
    confidential: bool
    consent: ConsentScope
    category: CaseCategory
    organisation: str
    brief: str
    questions: tuple[str, ...]  # REQUEST_QUESTIONS keys the business ticked
    ask: str  # the forum's questions for the category (Swedish)
    ask_en: str
    departments: tuple[DepartmentCover, ...]
    convener: str | None
    documents: tuple[DocumentName, ...]
    # Representatives invited to the meeting (now or before): they read it as participants.
    invited: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Agenda:
    session_id: int
    forum: str
    location: str
    timezone: str
    local_date: date
    starts_at: datetime
    ends_at: datetime
    items: tuple[AgendaItem, ...]


@dataclass(frozen=True)
class ShownItem:
    """An agenda item as one reader may see it: ``parts`` of booking.domain.visibility's
    AGENDA_PARTS, and the case's title for that reader."""

    item: AgendaItem
    parts: frozenset[str]
    title: str

    def shows(self, part: str) -> bool:
        return part in self.parts


# ---------------------------------------------------------------- building


def _session(db: Db, session_id: int) -> ForumSession:
    session = db.get(ForumSession, session_id)
    if session is None:
        raise NotFound(f"No forum afternoon with id {session_id}.", {"session_id": session_id})
    return session


def booked_meetings(db: Db, session_id: int) -> list[Meeting]:
    """The afternoon's live meetings in slot order."""
    return list(
        db.scalars(
            select(Meeting)
            .join(Slot, Slot.id == Meeting.slot_id)
            .where(Slot.session_id == session_id, Meeting.status.in_(LIVE_MEETING))
            .order_by(Slot.starts_at, Meeting.id)
        )
    )


def _ticked_questions(db: Db, case_id: int) -> tuple[str, ...]:
    ticked = db.scalar(
        select(ContactRequest.questions)
        .where(ContactRequest.case_id == case_id)
        .order_by(ContactRequest.id.desc())
        .limit(1)
    )
    return tuple(q for q in (ticked or []) if q in REQUEST_QUESTIONS)


def _item(db: Db, meeting: Meeting) -> AgendaItem:
    case = meeting.case
    guide = guide_for(db, case.forum_id, case.category)
    return AgendaItem(
        meeting_id=meeting.id,
        case_id=case.id,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        reference=case.reference,
        confidential=case.confidential,
        consent=case.consent_scope or ConsentScope.NONE,
        category=case.category,
        organisation=case.org_name,
        brief=case.description or "",
        questions=_ticked_questions(db, case.id),
        ask=(guide.ask or "").strip() if guide else "",
        ask_en=(guide.ask_en or "").strip() if guide else "",
        departments=meeting_departments(db, meeting),
        convener=meeting.convener.name if meeting.convener is not None else None,
        documents=tuple(
            DocumentName(d.id, d.filename, d.size) for d in documents.for_case(db, case.id)
        ),
        invited=frozenset(a.representative_id for a in meeting.attendees),
    )


def build_agenda(db: Db, session_id: int) -> Agenda:
    """The whole agenda of one forum afternoon (NotFound for an unknown one)."""
    session = _session(db, session_id)
    forum = session.forum
    return Agenda(
        session_id=session.id,
        forum=forum.name,
        location=forum.location,
        timezone=forum.timezone,
        local_date=session.local_date,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        items=tuple(_item(db, m) for m in booked_meetings(db, session.id)),
    )


# ---------------------------------------------------------------- what a reader sees


def shown(agenda: Agenda, seen_of: Callable[[AgendaItem], Visibility]) -> list[ShownItem]:
    """Every item as the reader (``seen_of``: what they may see of its case) may see it."""
    result = []
    for item in agenda.items:
        seen = seen_of(item)
        result.append(
            ShownItem(
                item=item,
                parts=agenda_parts(seen, confidential=item.confidential),
                title=case_title(
                    item.reference,
                    item.organisation,
                    confidential=item.confidential,
                    seen=seen,
                ),
            )
        )
    return result


def for_staff(db: Db, agenda: Agenda, reader: Reader) -> list[ShownItem]:
    """The agenda as a logged-in user may see it (the web page): a representative invited to
    a case reads it as its participant (booking.services.cases.access)."""
    invited = invited_case_ids(db, reader, (i.case_id for i in agenda.items))
    return shown(
        agenda,
        lambda item: staff_visibility(
            reader.role,
            confidential=item.confidential,
            consent=item.consent,
            participant=item.case_id in invited,
            municipal=reader.municipal,
        ),
    )


@dataclass(frozen=True)
class Recipient:
    """One address the agenda goes to: the representatives behind it (one person may stand
    for several departments), read as a participant of every case any of them is invited to,
    and as external when any of them stands for an external party."""

    email: str
    name: str
    representative_ids: frozenset[int]
    municipal: bool


def for_recipient(agenda: Agenda, recipient: Recipient) -> list[ShownItem]:
    return shown(
        agenda,
        lambda item: staff_visibility(
            Role.REPRESENTATIVE,
            confidential=item.confidential,
            consent=item.consent,
            participant=bool(item.invited & recipient.representative_ids),
            municipal=recipient.municipal,
        ),
    )


def attending(db: Db, agenda: Agenda) -> list[Recipient]:
    """Every representative invited to a meeting of the afternoon who has not declined, one
    recipient per address, in order of name."""
    reps: dict[str, list[Representative]] = {}
    for meeting in _meetings(db, agenda):
        for attendee in meeting.attendees:
            if attendee.active and attendee.partstat != PartStat.DECLINED:
                rep = attendee.representative
                group = reps.setdefault(rep.email.strip().lower(), [])
                if rep not in group:
                    group.append(rep)
    recipients = [
        Recipient(
            email=group[0].email.strip(),
            name=group[0].name,
            representative_ids=frozenset(r.id for r in group),
            municipal=all(is_municipal(r.department.kind) for r in group),
        )
        for address, group in reps.items()
        if "@" in address
    ]
    return sorted(recipients, key=lambda r: (r.name, r.email))


def _meetings(db: Db, agenda: Agenda) -> list[Meeting]:
    ids = [i.meeting_id for i in agenda.items]
    return list(db.scalars(select(Meeting).where(Meeting.id.in_(ids)))) if ids else []


# ---------------------------------------------------------------- the mail


def sv_date(day: date) -> str:
    """ "tisdag 15 december 2026 (v. 51)"."""
    week = day.isocalendar().week
    return f"{SV_DAYS[day.weekday()]} {day.day} {SV_MONTHS[day.month - 1]} {day.year} (v. {week})"


def page_path(session_id: int) -> str:
    return f"/sessions/{session_id}/dagordning"


def document_path(case_id: int, document_id: int) -> str:
    """The document's download behind the login (``web.case_document``): the mail links it,
    it never carries the file."""
    return f"/cases/{case_id}/dokument/{document_id}"


def _time(item: AgendaItem, zone: ZoneInfo) -> str:
    return f"{item.starts_at.astimezone(zone):%H:%M}–{item.ends_at.astimezone(zone):%H:%M}"


def _mail_item(shown_item: ShownItem, zone: ZoneInfo, base_url: str) -> dict[str, object]:
    """One item's values for the mail template; a part the reader may not see is None."""
    item = shown_item.item

    def part(name: str, value: object) -> object:
        return value if shown_item.shows(name) else None

    sv, en = CATEGORY_LABELS[item.category]
    return {
        "time": _time(item, zone),
        "title": shown_item.title,
        "category": part("category", f"{sv} ({en})"),
        "brief": part("brief", item.brief),
        "questions": part(
            "questions",
            [f"{REQUEST_QUESTIONS[q][0]} ({REQUEST_QUESTIONS[q][1]})" for q in item.questions],
        ),
        "ask": part("questions", item.ask),
        "departments": part(
            "departments",
            [
                {"name": d.name, "covers": d.covers if shown_item.shows("covers") else ""}
                for d in item.departments
            ],
        ),
        "convener": part("convener", item.convener),
        "documents": part(
            "documents",
            [
                {
                    "name": d.filename,
                    "size": _size(d.size),
                    "link": base_url + document_path(item.case_id, d.id),
                }
                for d in item.documents
            ],
        ),
    }


def _size(size: int) -> str:
    """A file size as people read it: "830 byte", "12 kB", "3,4 MB"."""
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} kB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


def agenda_mail(agenda: Agenda, recipient: Recipient, base_url: str) -> MailText:
    """The agenda as this recipient may see it."""
    zone = ZoneInfo(agenda.timezone)
    base = base_url.rstrip("/")
    items = [_mail_item(s, zone, base) for s in for_recipient(agenda, recipient)]
    return render(
        "preparation/agenda",
        name=recipient.name,
        forum=agenda.forum,
        date=sv_date(agenda.local_date),
        time=f"{agenda.starts_at.astimezone(zone):%H:%M}–{agenda.ends_at.astimezone(zone):%H:%M}",
        where=agenda.location,
        items=items,
        link=base + page_path(agenda.session_id),
    )


# ---------------------------------------------------------------- sending


def _candidates(db: Db, now: datetime, working_days: int) -> list[ForumSession]:
    """Coming forum afternoons whose agenda may be due: N working days are never more than
    2N + 14 calendar days (weekends, Christmas and Easter included). Those already sent stay
    candidates until they begin, for representatives booked in since."""
    today = now.date()
    return list(
        db.scalars(
            select(ForumSession)
            .where(
                ForumSession.status == SessionStatus.SCHEDULED,
                ForumSession.kind == SessionKind.FORUM,
                ForumSession.starts_at > now,
                ForumSession.local_date >= today - timedelta(days=1),
                ForumSession.local_date <= today + timedelta(days=2 * working_days + 14),
            )
            .order_by(ForumSession.starts_at)
        )
    )


def _is_due(session: ForumSession, now: datetime, working_days: int) -> bool:
    today = now.astimezone(ZoneInfo(session.forum.timezone)).date()
    year = session.local_date.year
    # Half days (e.g. trettondagsafton) are working mornings: not skipped.
    closed = non_working_days((year - 1, year), include_half_days=False)
    return agenda_due(today, session.local_date, working_days, closed)


def _address(email: str) -> str:
    """The key of one agenda mail: one per address, however it is written."""
    return email.strip().lower()


def _waiting(db: Db, session_id: int) -> bool:
    """Whether someone attending the afternoon has not got its agenda yet (one query, so a
    worker round over afternoons already sent builds no agenda)."""
    delivered = select(AgendaDelivery.address).where(AgendaDelivery.session_id == session_id)
    return bool(
        db.scalar(
            select(Attendee.id)
            .join(Meeting, Meeting.id == Attendee.meeting_id)
            .join(Slot, Slot.id == Meeting.slot_id)
            .join(Representative, Representative.id == Attendee.representative_id)
            .where(
                Slot.session_id == session_id,
                Meeting.status.in_(LIVE_MEETING),
                Attendee.active.is_(True),
                Attendee.partstat != PartStat.DECLINED,
                Representative.email.contains("@"),
                func.lower(func.trim(Representative.email)).not_in(delivered),
            )
            .limit(1)
        )
    )


def claim(db: Db, session_id: int, address: str, now: datetime) -> bool:
    """Record that ``address`` gets the afternoon's agenda, unless it already did: the primary
    key decides, so of two workers exactly one sends each mail (PostgreSQL makes the second
    insert wait for the first's commit, SQLite has one writer at a time)."""
    inserted = db.scalar(
        conflict_insert(db, AgendaDelivery)
        .values(session_id=session_id, address=address, sent_at=now)
        .on_conflict_do_nothing()
        .returning(AgendaDelivery.address)
    )
    return inserted is not None


def send_agenda(db: Db, session_id: int, now: datetime, config: InvitationConfig) -> int:
    """Queue the agenda to every attending representative who has not got it. Returns how
    many mails; the caller commits."""
    agenda = build_agenda(db, session_id)
    sent = 0
    # In address order: two workers claim in the same order and never wait on each other.
    for recipient in sorted(attending(db, agenda), key=lambda r: _address(r.email)):
        if not claim(db, session_id, _address(recipient.email), now):
            continue
        mail = agenda_mail(agenda, recipient, config.base_url)
        outbox.enqueue_email(
            db, now, to=recipient.email, subject=mail.subject, text=mail.text, html=mail.html
        )
        sent += 1
    return sent


def send_due_agendas(db: Db, now: datetime, config: InvitationConfig, *, working_days: int) -> int:
    """Every coming forum afternoon whose agenda is due: its mail to each attending
    representative who has not got it (one commit per afternoon). An afternoon without booked
    cases waits, and a representative booked in after the agenda went out gets it at the next
    round. Returns the number of mails queued."""
    sent = 0
    for session in _candidates(db, now, working_days):
        if not _is_due(session, now, working_days) or not _waiting(db, session.id):
            continue
        queued = send_agenda(db, session.id, now, config)
        if queued and session.agenda_sent_at is None:
            session.agenda_sent_at = now
        sent += queued
        db.commit()
    return sent
