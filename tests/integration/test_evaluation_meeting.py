"""The termly evaluation meeting (issue 14 §5): one afternoon a term, every representative
invited through the normal invitations, the term's figures in the invitation; ordinary
bookings never use that afternoon."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from booking_helpers import case_body
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.domain.terms import parse_term
from booking.domain.vocabulary import CaseCategory, CaseStatus, SessionKind, SessionStatus
from booking.models import (
    AuditEvent,
    Department,
    DepartmentForum,
    Forum,
    Meeting,
    OutboxMessage,
    Representative,
    Session,
    Slot,
)
from booking.services.audit import Actor
from booking.services.cases import registry as case_service
from booking.services.demo import demo_user
from booking.services.errors import Conflict
from booking.services.invitations import delivery
from booking.services.invitations.outbox import OutgoingMail
from booking.services.invitations.ports import InvitationConfig
from booking.services.meetings import book as booking
from booking.services.meetings import proposals as proposal_service
from booking.services.scheduling import evaluation

CONFIG = InvitationConfig(
    organizer_default="forum@mora.example", base_url="http://forum.test", secret_key="k"
)


class Mailbox:
    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    def send(self, mail: OutgoingMail) -> None:
        self.sent.append(mail)


def coordinator(db: Db) -> Actor:
    return Actor.of(demo_user(db, "coordinator"))


def free_afternoons(db: Db, now: Any, forum: str = "mora") -> list[Session]:
    """The forum's coming scheduled afternoons that hold no meeting, soonest first."""
    taken = select(Slot.session_id).join(Meeting, Meeting.slot_id == Slot.id)
    return list(
        db.scalars(
            select(Session)
            .join(Forum, Forum.id == Session.forum_id)
            .where(
                Forum.slug == forum,
                Session.status == SessionStatus.SCHEDULED,
                Session.starts_at > now + timedelta(days=14),
                Session.id.not_in(taken),
            )
            .order_by(Session.local_date)
        )
    )


def spring_afternoons(db: Db, now: Any) -> list[Session]:
    """Free afternoons of spring 2027 (one term), soonest first."""
    spring = parse_term("2027-spring")
    return [s for s in free_afternoons(db, now) if spring.contains(s.local_date)]


def everyone(db: Db, forum: str = "mora") -> set[int]:
    """Every active representative of the forum's active departments, deputies too."""
    return set(
        db.scalars(
            select(Representative.id)
            .join(Department, Department.id == Representative.department_id)
            .join(DepartmentForum, DepartmentForum.department_id == Department.id)
            .join(Forum, Forum.id == DepartmentForum.forum_id)
            .where(
                Forum.slug == forum,
                Department.active.is_(True),
                Representative.active.is_(True),
            )
        )
    )


def register(db: Db, actor: Actor, now: Any, **extra: Any) -> int:
    return case_service.create_case(db, case_body(db, **extra), actor, now=now).id


def test_every_representative_is_invited_with_the_terms_figures(
    seeded: Db, clock: FixedClock
) -> None:
    now, actor = clock.now(), coordinator(seeded)
    business = register(seeded, actor, now)
    booking.book(seeded, business, {"slot": "earliest"}, actor, now=now)
    register(
        seeded,
        actor,
        now,
        category="internal",
        org_name="Samverkan Mora–Orsa",
        org_number="",
        contact_name="",
        contact_email="",
        contact_phone="",
    )
    afternoon = free_afternoons(seeded, now)[0]
    outbox_before = seeded.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()))

    booked = evaluation.book_evaluation(seeded, afternoon.id, actor, now=now)

    seeded.expire_all()
    session = seeded.get(Session, afternoon.id)
    assert session is not None and session.kind == SessionKind.EVALUATION
    meeting = booked.meeting
    assert (meeting.starts_at, meeting.ends_at) == (session.starts_at, session.ends_at)
    invited = {a.representative_id for a in meeting.attendees if a.active}
    assert invited == everyone(seeded) and booked.invited == len(invited)
    deputies = [a for a in meeting.attendees if a.representative.is_deputy]
    assert deputies and not any(a.required for a in deputies)  # asked, not waited for
    case = meeting.case
    assert case.category == CaseCategory.INTERNAL and case.status == CaseStatus.BOOKED
    assert booked.term.key == "2026-autumn" and "hösten 2026" in case.org_name.lower()
    # The normal invitation work, and nothing for a customer.
    queued = [
        m.kind
        for m in seeded.scalars(select(OutboxMessage).where(OutboxMessage.id > outbox_before))
    ]
    assert queued == [delivery.DELIVER]
    # Each representative's iMIP invitation carries the term's figures in its DESCRIPTION.
    box = Mailbox()
    delivery.deliver_meeting(seeded, meeting.id, now, calendar=None, mailer=box, config=CONFIG)
    assert len(box.sent) == len(invited)
    assert {m.ics_method for m in box.sent} == {"REQUEST"}
    ics = (box.sent[0].ics or b"").decode().replace("\r\n ", "")
    for figure in (
        "Terminens siffror / The term's figures: Forum Mora\\, Hösten 2026 "
        "(2026-07-01 – 2026-12-31)",
        "Ärenden / Cases: 1 (varav inställda / cancelled: 0)",
        "- Nyetablering (New establishment): 1",
        "Forum internt (Forum internal): 1",
        "Ledtid kontakt–möte\\, median",
        "Svarsfrekvens\\, förvaltningarna / Reply rate\\, departments: 0\\,0 % (0 av / of 2)",
        "Enkätsvar / Survey response rate: – (0 av / of 0)",
        "NKI: visas inte\\, 0 svar",
    ):
        assert figure in ics, figure
    assert "/r/" in box.sent[0].text  # the personal RSVP link, as every invitation
    # Audited: the afternoon's new kind and the booking.
    actions = {
        (e.entity_type, e.action)
        for e in seeded.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id))
    }
    assert {("session", "evaluation"), ("meeting", "book"), ("case", "create")} <= actions


def test_ordinary_bookings_and_proposals_never_use_the_evaluation_afternoon(
    seeded: Db, clock: FixedClock
) -> None:
    now, actor = clock.now(), coordinator(seeded)
    afternoon = free_afternoons(seeded, now)[0]
    evaluation.book_evaluation(seeded, afternoon.id, actor, now=now)
    free_slot = seeded.scalars(
        select(Slot).where(Slot.session_id == afternoon.id).order_by(Slot.starts_at)
    ).all()[1]  # not held by the evaluation meeting's row, still not free
    case_id = register(seeded, actor, now)
    found = proposal_service.propose(seeded, case_id, now=now, limit=30)
    assert found.slots and afternoon.id not in {p.session_id for p in found.slots}
    with pytest.raises(Conflict) as refused:
        booking.book(seeded, case_id, {"slot": free_slot.id}, actor, now=now)
    assert refused.value.reason == "evaluation_afternoon"
    assert "evaluation meeting" in refused.value.message


def test_refused_with_bookings_or_when_the_term_has_its_meeting(
    seeded: Db, clock: FixedClock
) -> None:
    now, actor = clock.now(), coordinator(seeded)
    case_id = register(seeded, actor, now)
    meeting = booking.book(seeded, case_id, {"slot": "earliest"}, actor, now=now)
    slot = seeded.get(Slot, meeting.slot_id)
    assert slot is not None
    with pytest.raises(Conflict) as busy:
        evaluation.book_evaluation(seeded, slot.session_id, actor, now=now)
    assert busy.value.reason == "session_has_bookings"
    assert busy.value.status == 409
    seeded.rollback()

    first, second = spring_afternoons(seeded, now)[:2]
    evaluation.book_evaluation(seeded, first.id, actor, now=now)
    with pytest.raises(Conflict) as twice:
        evaluation.book_evaluation(seeded, second.id, actor, now=now)
    assert twice.value.reason == "evaluation_exists"
    assert twice.value.details["date"] == first.local_date.isoformat()
    seeded.rollback()
    again = seeded.get(Session, second.id)
    assert again is not None and again.kind == SessionKind.FORUM  # nothing written


def test_the_command_books_the_evaluation_meeting(
    app: Flask, seeded: Db, clock: FixedClock
) -> None:
    afternoon = free_afternoons(seeded, clock.now())[0]
    day = afternoon.local_date.isoformat()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["forum", "book-evaluation", "--forum", "mora", "--date", day])
    assert result.exit_code == 0, result.output
    assert f"mora {day}: the evaluation meeting of 2026-autumn" in result.output
    again = runner.invoke(args=["forum", "book-evaluation", "--forum", "mora", "--date", day])
    assert again.exit_code != 0 and "already" in again.output
    missing = runner.invoke(
        args=["forum", "book-evaluation", "--forum", "mora", "--date", "2026-12-25"]
    )
    assert missing.exit_code != 0 and "no afternoon on 2026-12-25" in missing.output


def test_the_sessions_page_books_it_with_a_button(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD

    client.post("/login", data={"email": DEMO_LOGINS["coordinator"], "password": DEMO_PASSWORD})
    afternoon, other = spring_afternoons(seeded, clock.now())[:2]
    page = client.get("/admin/sessions").get_data(as_text=True)
    assert f"/admin/sessions/{afternoon.id}/evaluation" in page
    response = client.post(f"/admin/sessions/{afternoon.id}/evaluation")
    assert response.status_code == 302
    assert "/cases/" in response.headers["Location"]
    listing = client.get("/admin/sessions").get_data(as_text=True)
    assert "Utvärderingsmöte" in listing
    # A second one in the term is refused with the reason, in Swedish.
    refused = client.post(f"/admin/sessions/{other.id}/evaluation")
    assert refused.status_code == 409
    assert "utvärderingsmöte" in refused.get_data(as_text=True).lower()


def test_only_staff_who_manage_sessions_may_book_it(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD

    client.post("/login", data={"email": DEMO_LOGINS["viewer"], "password": DEMO_PASSWORD})
    afternoon = free_afternoons(seeded, clock.now())[0]
    assert client.post(f"/admin/sessions/{afternoon.id}/evaluation").status_code == 403
    seeded.expire_all()
    assert seeded.get(Session, afternoon.id).kind == SessionKind.FORUM  # type: ignore[union-attr]


def test_the_availability_feed_does_not_offer_the_evaluation_afternoon(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    path = "/feeds/forums/mora/availability.ics"
    afternoon = free_afternoons(seeded, clock.now())[0]
    uids = [f"slot-{slot.id}@forum.test".encode() for slot in afternoon.slots]
    assert all(uid in client.get(path).data for uid in uids)
    evaluation.book_evaluation(seeded, afternoon.id, coordinator(seeded), now=clock.now())
    data = client.get(path).data
    assert not any(uid in data for uid in uids)
