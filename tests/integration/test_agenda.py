"""Arriving prepared (issue 14 §4): what each department will cover, the customer's
confirmation, and the agenda of a forum afternoon mailed to its representatives once."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from invitation_data import book_meeting, make_world
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.vocabulary import CaseCategory, PartStat
from booking.models import (
    Attendee,
    AuditEvent,
    CaseDocument,
    CategoryGuide,
    ContactRequest,
    Meeting,
    OutboxMessage,
)
from booking.models import Session as ForumSession
from booking.services.audit import Actor
from booking.services.cases.covers import MAX_COVERS, covers_of, set_covers
from booking.services.errors import Invalid, NotFound
from booking.services.invitations.delivery import deliver_customer
from booking.services.invitations.outbox import OutgoingMail
from booking.services.preparation import agenda
from booking.services.worker import Worker, WorkerSetup

COORDINATOR = Actor.system("test-coordinator")
REPO = Path(__file__).resolve().parents[2]
ICSCHECK = Path(
    os.environ.get("ICSCHECK", REPO.parent / "shared" / "tools" / "icscheck" / "icscheck")
)
# Two working days before Tuesday 15 December 2026 is Friday 11 December (Stockholm).
THURSDAY = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
FRIDAY_MORNING = datetime(2026, 12, 10, 23, 30, tzinfo=UTC)  # 00:30 on Friday in Stockholm


class Mailer:
    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> None:
        self.sent.append(mail)


def _config(app: Any) -> Any:
    return app.extensions["policies"].invitations


def _covers(db: Session, case_id: int) -> dict[str, str]:
    db.expire_all()
    return {d.name: text for d, text in covers_of(db, case_id)}


def _guide(db: Session, forum_id: int) -> None:
    db.add(
        CategoryGuide(
            forum_id=forum_id,
            category=CaseCategory.NEW_ESTABLISHMENT,
            ask="Hur många sittplatser?",
            ask_en="How many seats?",
            bring="Ritning över lokalen",
            bring_en="A plan of the premises",
        )
    )
    db.commit()


# ---------------------------------------------------------------- covers


def test_covers_are_saved_per_department_audited_and_limited(
    db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    case_id = book_meeting(db, world, clock.now()).case_id
    bygg, miljo = world.departments["bygg"].id, world.departments["miljo"].id
    assert _covers(db, case_id) == dict.fromkeys(
        ("Miljökontoret", "Mora Brandkår", "Stadsbyggnadsförvaltningen"), ""
    )
    assert set_covers(
        db, case_id, {bygg: "  Bygglov för\n uteserveringen "}, COORDINATOR, clock.now()
    )
    assert _covers(db, case_id)["Stadsbyggnadsförvaltningen"] == "Bygglov för uteserveringen"
    # The same text again changes nothing and records nothing.
    assert not set_covers(
        db, case_id, {bygg: "Bygglov för uteserveringen"}, COORDINATOR, clock.now()
    )
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "covers")).all()
    assert len(events) == 1 and events[0].case_id == case_id
    assert events[0].after == {
        "covers": {"Stadsbyggnadsförvaltningen": "Bygglov för uteserveringen"}
    }
    # One text too long: nothing is saved, and the message names the department.
    with pytest.raises(Invalid) as too_long:
        set_covers(
            db, case_id, {bygg: "Nytt", miljo: "x" * (MAX_COVERS + 1)}, COORDINATOR, clock.now()
        )
    db.rollback()
    assert too_long.value.reason == "covers_too_long"
    assert too_long.value.details["names"] == ["Miljökontoret"]
    assert _covers(db, case_id)["Stadsbyggnadsförvaltningen"] == "Bygglov för uteserveringen"
    assert set_covers(db, case_id, {miljo: "y" * MAX_COVERS}, COORDINATOR, clock.now())
    # Only the case's own departments; a control character is refused.
    other = world.departments["brand"].id + 1000
    with pytest.raises(Invalid) as foreign:
        set_covers(db, case_id, {other: "x"}, COORDINATOR, clock.now())
    assert foreign.value.reason == "covers_department"
    with pytest.raises(Invalid) as control:
        set_covers(db, case_id, {bygg: "a\x00b"}, COORDINATOR, clock.now())
    assert control.value.reason == "control_character"
    with pytest.raises(NotFound):
        set_covers(db, case_id + 1000, {}, COORDINATOR, clock.now())


# ---------------------------------------------------------------- the customer's confirmation


def _confirmation(app: Any, db: Session, meeting: Meeting, now: datetime) -> OutgoingMail:
    mailer = Mailer()
    deliver_customer(db, {"meeting_id": meeting.id}, now, mailer=mailer, config=_config(app))
    assert len(mailer.sent) == 1
    return mailer.sent[0]


def _description(mail: OutgoingMail) -> str:
    assert mail.ics is not None
    event = next(iter(Calendar.from_ical(mail.ics).walk("VEVENT")))
    return str(event["DESCRIPTION"])


def test_the_confirmation_names_each_department_with_its_cover_the_convener_and_the_bring_list(
    app: Any, db: Session, clock: FixedClock, tmp_path: Path
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    _guide(db, world.forum.id)
    bygg = world.departments["bygg"].id
    set_covers(db, meeting.case_id, {bygg: "Bygglov för uteserveringen"}, COORDINATOR, clock.now())
    mail = _confirmation(app, db, meeting, clock.now())
    assert "- Stadsbyggnadsförvaltningen: Bygglov för uteserveringen\n" in mail.text
    assert "- Miljökontoret\n" in mail.text  # nothing written: the name alone
    assert "Sammankallande / Convener: Anna Lind" in mail.text
    assert "Ta med till mötet / Please bring:\nRitning över lokalen" in mail.text
    assert "A plan of the premises" not in mail.text  # the business wrote in Swedish
    description = _description(mail)
    assert "- Stadsbyggnadsförvaltningen: Bygglov för uteserveringen" in description
    assert "- Mora Brandkår" in description
    assert "Sammankallande / Convener: Anna Lind" in description
    assert "Ta med till mötet / Please bring:\nRitning över lokalen" in description
    _icscheck(mail, tmp_path)


def test_the_bring_list_is_in_the_language_the_business_chose(
    app: Any, db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    _guide(db, world.forum.id)
    db.add(_request(world.forum.id, meeting.case_id, language="en", questions=["food"]))
    db.commit()
    mail = _confirmation(app, db, meeting, clock.now())
    assert "Ta med till mötet / Please bring:\nA plan of the premises" in mail.text
    assert "A plan of the premises" in _description(mail)


def test_without_a_guide_the_confirmation_has_no_bring_list(
    app: Any, db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    mail = _confirmation(app, db, meeting, clock.now())
    assert "Please bring" not in mail.text and "Please bring" not in _description(mail)


def _icscheck(mail: OutgoingMail, folder: Path) -> None:
    """The customer's .ics passes tools/icscheck (F01, "no METHOD", is a feed rule)."""
    if not ICSCHECK.exists():
        return
    assert mail.ics is not None
    path = folder / "customer.ics"
    path.write_bytes(mail.ics)
    result = subprocess.run(
        [str(ICSCHECK), "--json", "--ignore", "F01", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode in (2, 3):
        return  # not every parser can run here
    assert result.returncode == 0, result.stdout[-3000:]
    assert json.loads(result.stdout)


def _request(forum_id: int, case_id: int, *, language: str, questions: list[str]) -> ContactRequest:
    return ContactRequest(
        forum_id=forum_id,
        source="public",
        status="accepted",
        category=CaseCategory.NEW_ESTABLISHMENT,
        org_name="Bageri Dalarna AB",
        contact_name="Kim Kund",
        contact_email="kund@foretag.example",
        questions=questions,
        language=language,
        follow_token_hash=f"follow-{case_id}",
        case_id=case_id,
    )


# ---------------------------------------------------------------- the agenda


def _afternoon(db: Session, meeting: Meeting) -> int:
    db.expire_all()
    found = db.get(Meeting, meeting.id)
    assert found is not None and found.slot is not None
    return found.slot.session_id


def _agenda_world(db: Session, clock: FixedClock) -> tuple[Any, Meeting, Meeting, Meeting]:
    """Three cases on Tuesday 15 December: a shared one (Anna, Oskar, Lars), a confidential
    one (Sara and Nils) and one without consent where Frida declined."""
    world = make_world(db)
    _guide(db, world.forum.id)
    shared = book_meeting(db, world, clock.now(), slot_index=0)
    secret = book_meeting(
        db, world, clock.now(), slot_index=1, people=("sara", "nils"), confidential=True
    )
    private = book_meeting(db, world, clock.now(), slot_index=2, people=("anna", "frida"))
    private.case.consent_to_share = False
    private.case.org_name = "Hemliga Bageriet AB"
    for attendee in private.attendees:
        if attendee.representative_id == world.reps["frida"].id:
            attendee.partstat = PartStat.DECLINED
    db.add(_request(world.forum.id, shared.case_id, language="sv", questions=["food", "fire"]))
    db.add(
        CaseDocument(
            case_id=shared.case_id,
            filename="ritning.pdf",
            content_type="application/pdf",
            size=2048,
            sha256="0" * 64,
            data=b"%PDF",
            uploaded_by="kund@foretag.example",
        )
    )
    db.commit()
    set_covers(
        db, shared.case_id, {world.departments["bygg"].id: "Bygglov"}, COORDINATOR, clock.now()
    )
    return world, shared, secret, private


def test_the_agenda_lists_each_case_in_slot_order_with_everything(
    db: Session, clock: FixedClock
) -> None:
    _world, shared, secret, private = _agenda_world(db, clock)
    built = agenda.build_agenda(db, _afternoon(db, shared))
    assert [i.meeting_id for i in built.items] == [shared.id, secret.id, private.id]
    first = built.items[0]
    assert first.questions == ("food", "fire")
    assert first.ask == "Hur många sittplatser?"
    assert ("Stadsbyggnadsförvaltningen", "Bygglov") in [
        (d.name, d.covers) for d in first.departments
    ]
    assert first.convener == "Anna Lind"
    assert [(d.filename, d.size) for d in first.documents] == [("ritning.pdf", 2048)]
    with pytest.raises(NotFound):
        agenda.build_agenda(db, 10**6)


def test_each_representative_gets_the_agenda_as_they_may_see_it_once(
    app: Any, db: Session, clock: FixedClock
) -> None:
    _world, shared, secret, _private = _agenda_world(db, clock)
    session_id = _afternoon(db, shared)
    config = _config(app)
    assert agenda.send_due_agendas(db, THURSDAY, config, working_days=2) == 0
    # Friday: every attending representative once (Frida declined; Anna attends two cases).
    assert agenda.send_due_agendas(db, FRIDAY_MORNING, config, working_days=2) == 5
    mails = {m.payload["to"][0]: m.payload for m in _agenda_mails(db)}
    assert sorted(mails) == sorted(
        f"{p}@mora.example" for p in ("anna", "oskar", "lars", "sara", "nils")
    )
    anna = mails["anna@mora.example"]["text"]
    assert anna.startswith("Hej Anna Lind,")
    assert f"{shared.case.reference} · Bageri Dalarna AB" in anna
    assert "Nytt bageri med servering i centrum." in anna
    assert "Livsmedel, servering (Food, serving)" in anna
    assert "- Stadsbyggnadsförvaltningen: Bygglov" in anna
    document_id = db.scalars(select(CaseDocument.id)).one()
    assert (
        f"ritning.pdf (2 kB): http://forum.test/cases/{shared.case_id}/dokument/{document_id}"
        in anna
    )
    assert f"Forum – sekretess ({secret.case.reference})" in anna
    # The case without consent: Anna attends it, so she sees its category, not the business.
    assert "Hemliga Bageriet" not in anna
    assert f"http://forum.test/sessions/{session_id}/dagordning" in anna
    # Sara attends only the confidential case: of the others she sees what a feed shows.
    sara = mails["sara@mora.example"]["text"]
    assert f"Forum – sekretess ({secret.case.reference})" in sara
    assert f"{shared.case.reference} · Bageri Dalarna AB" in sara
    assert "Nytt bageri med servering" not in sara  # the brief is for those who attend
    assert "ritning.pdf" not in sara and "Bygglov" not in sara
    # Never twice, whatever the time and however many ticks.
    assert agenda.send_due_agendas(db, FRIDAY_MORNING, config, working_days=2) == 0
    assert len(_agenda_mails(db)) == 5
    db.expire_all()
    assert db.get(ForumSession, session_id).agenda_sent_at == FRIDAY_MORNING  # type: ignore[union-attr]


def test_an_afternoon_without_cases_waits_and_one_booked_late_still_gets_its_agenda(
    app: Any, db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    config = _config(app)
    assert agenda.send_due_agendas(db, FRIDAY_MORNING, config, working_days=2) == 0
    assert (
        db.scalar(
            select(func.count())
            .select_from(ForumSession)
            .where(ForumSession.agenda_sent_at.is_not(None))
        )
        == 0
    )
    # Booked on Monday 14 December, after the agenda's day: it goes out at once.
    monday = datetime(2026, 12, 14, 9, tzinfo=UTC)
    book_meeting(db, world, monday, slot_index=0)
    assert agenda.send_due_agendas(db, monday, config, working_days=2) == 3
    # Once the afternoon has begun, nothing is sent for it any more.
    book_meeting(db, world, monday, slot_index=3)  # the next Tuesday's first slot
    begun = datetime(2026, 12, 22, 12, 30, tzinfo=UTC)
    assert agenda.send_due_agendas(db, begun, config, working_days=2) == 0


def test_the_worker_sends_the_agenda_and_counts_it(
    app: Any, db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    book_meeting(db, world, clock.now(), slot_index=0)
    policies = app.extensions["policies"]
    worker = Worker(
        app.extensions["session_factory"],
        WorkerSetup(calendar_factory=lambda: None, mailer=Mailer(), policies=policies),
    )
    assert worker.tick(THURSDAY, force=True).agendas == 0
    report = worker.tick(FRIDAY_MORNING, force=True)
    assert report.agendas == 3 and not report.errors
    assert "agenda mails 3" in report.summary()
    assert worker.tick(FRIDAY_MORNING, force=True).agendas == 0
    # AGENDA_WORKING_DAYS=5 sends a week ahead: Tuesday 15 December for the 22nd.
    book_meeting(db, world, clock.now(), slot_index=3)
    five = replace(policies, worker=replace(policies.worker, agenda_working_days=5))
    early = Worker(
        app.extensions["session_factory"],
        WorkerSetup(calendar_factory=lambda: None, mailer=Mailer(), policies=five),
    )
    assert early.tick(datetime(2026, 12, 14, 12, tzinfo=UTC), force=True).agendas == 0
    assert early.tick(datetime(2026, 12, 15, 7, tzinfo=UTC), force=True).agendas == 3


def _agenda_mails(db: Session) -> list[OutboxMessage]:
    db.expire_all()
    return [
        m
        for m in db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email"))
        if m.payload["subject"].startswith("Dagordning")
    ]


def test_a_representative_booked_in_after_the_agenda_went_out_gets_it_once(
    app: Any, db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    config = _config(app)
    first = book_meeting(db, world, clock.now(), slot_index=0, people=("anna", "oskar", "lars"))
    assert agenda.send_due_agendas(db, FRIDAY_MORNING, config, working_days=2) == 3
    # Monday: a second case in the same afternoon, with Anna (who has the agenda) and Sara.
    monday = datetime(2026, 12, 14, 9, tzinfo=UTC)
    book_meeting(db, world, monday, slot_index=1, people=("anna", "sara"))
    assert agenda.send_due_agendas(db, monday, config, working_days=2) == 1
    mails = _agenda_mails(db)
    assert [m.payload["to"][0] for m in mails].count("anna@mora.example") == 1
    (sara,) = [m.payload["text"] for m in mails if m.payload["to"][0] == "sara@mora.example"]
    assert first.case.reference in sara  # the whole afternoon, as she may see it
    # Nothing more, however many rounds; the afternoon keeps the time it first went out.
    assert agenda.send_due_agendas(db, monday, config, working_days=2) == 0
    db.expire_all()
    session = db.get(ForumSession, _afternoon(db, first))
    assert session is not None and session.agenda_sent_at == FRIDAY_MORNING


def test_two_workers_at_once_send_the_agenda_once(app: Any, db: Session, clock: FixedClock) -> None:
    """PostgreSQL: the second worker's UPDATE waits for the first's commit, then finds the
    afternoon taken (SQLite has one writer at a time and is covered by the tests above)."""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")
    world = make_world(db)
    book_meeting(db, world, clock.now(), slot_index=0)
    factory = app.extensions["session_factory"]
    config = _config(app)
    barrier = threading.Barrier(4)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with factory() as own:
                barrier.wait(timeout=10)
                counts.append(agenda.send_due_agendas(own, FRIDAY_MORNING, config, working_days=2))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(counts) == [0, 0, 0, 3]
    assert len(_agenda_mails(db)) == 3


def test_attendees_who_were_replaced_get_no_agenda(
    app: Any, db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now(), slot_index=0)
    lars = db.scalar(
        select(Attendee).where(
            Attendee.meeting_id == meeting.id, Attendee.representative_id == world.reps["lars"].id
        )
    )
    assert lars is not None
    lars.active = False
    db.commit()
    assert agenda.send_due_agendas(db, FRIDAY_MORNING, _config(app), working_days=2) == 2
