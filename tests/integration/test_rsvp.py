"""All must reply: counts, phone answers, reminders at working-day offsets, deputies, confirmed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from invitation_data import book_meeting, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.vocabulary import CaseStatus, MeetingStatus, PartStat
from booking.models import Attendee, AuditEvent, Case, Meeting, OutboxMessage
from booking.services.audit import Actor
from booking.services.errors import Conflict, Invalid
from booking.services.invitations import reminders
from booking.services.invitations import replies as rsvp

COORDINATOR = Actor.system("test-coordinator")


def _config(app: Any) -> Any:
    return app.extensions["policies"].invitations


def _attendee(db: Session, meeting: Meeting, world: Any, user: str) -> Attendee:
    db.expire_all()
    found = db.scalar(
        select(Attendee).where(
            Attendee.meeting_id == meeting.id,
            Attendee.representative_id == world.reps[user].id,
        )
    )
    assert found is not None
    return found


def _reminder_mails(db: Session) -> list[OutboxMessage]:
    return [
        m
        for m in db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
        if m.payload["subject"].startswith("Påminnelse")
    ]


def test_phone_reply_needs_a_note_and_is_audited(db: Session, clock: FixedClock) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    lars = _attendee(db, meeting, world, "lars")
    with pytest.raises(Invalid):
        rsvp.record_phone_reply(db, lars.id, "ACCEPTED", " ", clock.now(), actor=COORDINATOR)
    rsvp.record_phone_reply(
        db, lars.id, "TENTATIVE", "Ringde 09:10, återkommer", clock.now(), actor=COORDINATOR
    )
    lars = _attendee(db, meeting, world, "lars")
    assert (lars.partstat, lars.reply_channel) == (PartStat.TENTATIVE, "phone")
    assert lars.reply_note == "Ringde 09:10, återkommer"
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "reply"))
    assert event is not None and event.actor == "test-coordinator"
    assert event.note == "Ringde 09:10, återkommer" and event.case_id == meeting.case_id
    count = rsvp.reply_count(db.get(Meeting, meeting.id))  # type: ignore[arg-type]
    assert (count.replied, count.total) == (1, 3)
    with pytest.raises(Invalid):
        rsvp.record_phone_reply(db, lars.id, "MAYBE", "x", clock.now(), actor=COORDINATOR)


def test_reminders_at_offsets_and_never_for_a_passed_one(
    app: Any, db: Session, clock: FixedClock
) -> None:
    world = make_world(db)  # first slot: Tuesday 15 December 2026, 13:00 Stockholm
    early = book_meeting(db, world, clock.now(), slot_index=0)  # booked Monday 30 November
    late = book_meeting(db, world, datetime(2026, 12, 9, 10, tzinfo=UTC), slot_index=1)
    cfg = _config(app)
    # 5 working days before 15 Dec = Tuesday 8 Dec; 2 working days = Friday 11 Dec (08:00).
    assert reminders.send_due_reminders(db, datetime(2026, 12, 8, 6, 59, tzinfo=UTC), cfg) == 0
    assert reminders.send_due_reminders(db, datetime(2026, 12, 8, 7, 0, tzinfo=UTC), cfg) == 3
    anna = _attendee(db, early, world, "anna")
    assert anna.reminders_sent == [5]
    # The same moment again: nothing twice.
    assert reminders.send_due_reminders(db, datetime(2026, 12, 8, 9, tzinfo=UTC), cfg) == 0
    # Anna answers; on Friday only the two others of the early meeting and the late meeting's
    # three are reminded; the late one never gets the 5-day reminder (booked after it).
    rsvp.record_reply(db, anna, "ACCEPTED", "link", clock.now(), actor=COORDINATOR)
    assert reminders.send_due_reminders(db, datetime(2026, 12, 11, 7, 30, tzinfo=UTC), cfg) == 5
    late_oskar = _attendee(db, late, world, "oskar")
    assert late_oskar.reminders_sent == [2]
    mails = _reminder_mails(db)
    assert len(mails) == 8
    assert all("/r/" in m.payload["text"] for m in mails)
    # After the meeting has started, nothing.
    assert reminders.send_due_reminders(db, datetime(2026, 12, 15, 12, 30, tzinfo=UTC), cfg) == 0


def test_a_worker_that_was_down_sends_one_reminder_not_two(
    app: Any, db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now(), slot_index=0)
    sent = reminders.send_due_reminders(db, datetime(2026, 12, 14, 8, tzinfo=UTC), _config(app))
    assert sent == 3
    assert _attendee(db, meeting, world, "oskar").reminders_sent == [2, 5]
    assert len(_reminder_mails(db)) == 3


def test_all_accepting_confirms_meeting_and_case(db: Session, clock: FixedClock) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    for user in ("anna", "oskar"):
        rsvp.record_reply(
            db,
            _attendee(db, meeting, world, user),
            "ACCEPTED",
            "caldav",
            clock.now(),
            actor=COORDINATOR,
        )
    db.expire_all()
    assert db.get(Meeting, meeting.id).status == MeetingStatus.BOOKED  # type: ignore[union-attr]
    rsvp.record_reply(
        db,
        _attendee(db, meeting, world, "lars"),
        "ACCEPTED",
        "email",
        clock.now(),
        actor=COORDINATOR,
    )
    db.expire_all()
    assert db.get(Meeting, meeting.id).status == MeetingStatus.CONFIRMED  # type: ignore[union-attr]
    assert db.get(Case, meeting.case_id).status == CaseStatus.CONFIRMED  # type: ignore[union-attr]


def test_decline_brings_in_the_deputy_and_tells_the_coordinator(
    db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    oskar = _attendee(db, meeting, world, "oskar")
    rsvp.record_reply(db, oskar, "DECLINED", "link", clock.now(), actor=COORDINATOR)
    oskar = _attendee(db, meeting, world, "oskar")
    nils = _attendee(db, meeting, world, "nils")
    assert not oskar.active and oskar.partstat == PartStat.DECLINED
    assert nils.active and nils.required and nils.partstat == PartStat.NEEDS_ACTION
    assert rsvp.reply_count(db.get(Meeting, meeting.id)).label().startswith("0 av 3")  # type: ignore[arg-type]
    subjects = [m.payload.get("subject", "") for m in db.scalars(select(OutboxMessage)).all()]
    assert any(s.startswith("Avböjt / Declined") for s in subjects)
    with pytest.raises(Conflict):
        rsvp.record_reply(db, oskar, "ACCEPTED", "link", clock.now(), actor=COORDINATOR)


def test_decline_without_deputy_setting_keeps_the_attendee(db: Session, clock: FixedClock) -> None:
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    oskar = _attendee(db, meeting, world, "oskar")
    rsvp.record_reply(
        db,
        oskar,
        "DECLINED",
        "link",
        clock.now(),
        actor=COORDINATOR,
        policy=rsvp.RsvpPolicy(deputy_on_decline=False),
    )
    db.expire_all()
    assert _attendee(db, meeting, world, "oskar").active
    assert (
        db.scalar(
            select(Attendee).where(
                Attendee.meeting_id == meeting.id,
                Attendee.representative_id == world.reps["nils"].id,
            )
        )
        is None
    )
    _ = timedelta


def _reply_rows(db: Session, attendee_id: int) -> list[AuditEvent]:
    return list(
        db.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type == "attendee",
                AuditEvent.entity_id == attendee_id,
                AuditEvent.action == "reply",
            )
        )
    )


def test_a_decline_and_its_deputy_commit_together_or_not_at_all(
    db: Session, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One unit of work: when bringing the deputy fails half-way (the deputy is invited and the
    decliner taken off, then telling the coordinator crashes), nothing is stored: no decline
    without a deputy, no deputy without the decline, no mail."""
    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    outbox_before = len(db.scalars(select(OutboxMessage)).all())
    oskar = _attendee(db, meeting, world, "oskar")

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the process died here")

    monkeypatch.setattr("booking.services.invitations.deputies.tell_coordinator", crash)
    with pytest.raises(RuntimeError):
        rsvp.record_reply(db, oskar, "DECLINED", "link", clock.now(), actor=COORDINATOR)
    db.rollback()  # what the request's teardown does
    oskar = _attendee(db, meeting, world, "oskar")
    assert oskar.active and oskar.partstat == PartStat.NEEDS_ACTION and oskar.replied_at is None
    assert _reply_rows(db, oskar.id) == []
    nils = db.scalar(
        select(Attendee).where(
            Attendee.meeting_id == meeting.id, Attendee.representative_id == world.reps["nils"].id
        )
    )
    assert nils is None
    assert len(db.scalars(select(OutboxMessage)).all()) == outbox_before

    monkeypatch.undo()  # the same decline again, nothing failing: all of it is stored
    rsvp.record_reply(db, oskar, "DECLINED", "link", clock.now(), actor=COORDINATOR)
    db.expire_all()
    oskar = _attendee(db, meeting, world, "oskar")
    assert not oskar.active and oskar.partstat == PartStat.DECLINED
    assert len(_reply_rows(db, oskar.id)) == 1
    assert _attendee(db, meeting, world, "nils").active
    subjects = [m.payload.get("subject", "") for m in db.scalars(select(OutboxMessage)).all()]
    assert any(s.startswith("Avböjt / Declined") for s in subjects)


def test_a_deputy_lost_to_a_concurrent_booking_keeps_the_decline(
    db: Session, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database refuses the deputy (a concurrent booking took their time) and rolls the
    unit of work back: the answer is recorded again, once, without that deputy."""
    from booking.services.invitations import deputies

    world = make_world(db)
    meeting = book_meeting(db, world, clock.now())
    oskar = _attendee(db, meeting, world, "oskar")

    def refused(db: Session, *args: Any, **kwargs: Any) -> Attendee:
        db.rollback()  # what assign_attendee does on an IntegrityError
        raise Conflict("booked into another meeting at that time a moment ago")

    monkeypatch.setattr(deputies, "assign_attendee", refused)
    rsvp.record_reply(db, oskar, "DECLINED", "link", clock.now(), actor=COORDINATOR)
    db.expire_all()
    oskar = _attendee(db, meeting, world, "oskar")
    assert oskar.partstat == PartStat.DECLINED and oskar.active  # no deputy was free
    assert len(_reply_rows(db, oskar.id)) == 1
    told = [
        m.payload["text"]
        for m in db.scalars(select(OutboxMessage)).all()
        if m.payload.get("subject", "").startswith("Avböjt")
    ]
    assert len(told) == 1 and "Ingen ersättare kunde bjudas in" in told[0]
