"""Minutes: prefilled draft, permissions, approval by the convener, versions, e-mail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from followup_world import World, make_case, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseStatus, MeetingStatus, MinutesStatus, PartStat
from booking.models import AuditEvent, FollowUpPoint, Minutes, OutboxMessage
from booking.services.errors import Conflict, Forbidden, Invalid
from booking.services.followup import minutes as svc
from booking.services.followup import minutes_access
from booking.services.followup.policy import FollowupPolicy
from config import Settings

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
SETTINGS = FollowupPolicy.from_settings(replace(Settings(), public_base_url="http://forum.test"))


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def _held_case(db: Session, world: World):  # type: ignore[no-untyped-def]
    return make_case(
        db,
        world,
        received_at=NOW - timedelta(days=20),
        meeting_at=NOW - timedelta(days=1),
        departments=("bygg", "naring", "raddning"),
        partstats={"raddning": PartStat.DECLINED},
    )


def _data(world: World) -> svc.MinutesInput:
    bygg = world.departments["bygg"].id
    return svc.MinutesInput(
        present={world.reps["raddning"].id: False},
        customer_present="Kim Kund",
        statements={bygg: "Bygglov krävs; ansökan kan lämnas digitalt."},
        decisions="Kunden skickar in bygglovsansökan.",
        action_points=[
            svc.ActionPointInput("Skicka checklista för bygglov", date(2026, 12, 10), bygg),
            svc.ActionPointInput("Boka platsbesök", date(2026, 12, 20), None, "Kim Kund"),
        ],
    )


def test_draft_is_prefilled_from_the_replies(db: Session, world: World) -> None:
    case = _held_case(db, world)
    minutes = svc.start(db, case.meetings[0].id, world.actor("coordinator"), NOW)
    assert minutes.version == 1 and minutes.status == MinutesStatus.DRAFT
    by_name = {r["department"]: r for r in minutes.present}
    assert by_name["Bygg och miljö"]["present"] is True
    assert by_name["Räddningstjänsten"]["present"] is False
    assert by_name["Räddningstjänsten"]["partstat"] == "DECLINED"
    assert [s["department"] for s in minutes.statements] == [
        "Bygg och miljö",
        "Näringslivsfunktionen",
        "Räddningstjänsten",
    ]
    # Starting again returns the same draft rather than a second one.
    assert svc.start(db, case.meetings[0].id, world.actor("taker"), NOW).id == minutes.id


def test_who_may_write_and_who_may_approve(db: Session, world: World) -> None:
    case = _held_case(db, world)
    meeting_id = case.meetings[0].id
    with pytest.raises(Forbidden):
        svc.start(db, meeting_id, world.actor("viewer"), NOW)
    minutes = svc.start(db, meeting_id, world.actor("taker"), NOW)
    svc.save_draft(db, minutes.id, _data(world), world.actor("taker"), NOW)
    for who in ("coordinator", "admin", "taker", "viewer"):
        with pytest.raises(Forbidden, match="Only the convener"):
            svc.approve(db, minutes.id, world.actor(who), NOW, SETTINGS)
    assert db.get(Minutes, minutes.id).status == MinutesStatus.DRAFT  # type: ignore[union-attr]
    svc.approve(db, minutes.id, world.actor("convener"), NOW, SETTINGS)
    assert minutes.status == MinutesStatus.APPROVED
    assert minutes.approved_by == "convener@mora.example"


def test_approval_is_audited_sends_mail_and_builds_the_timeline(db: Session, world: World) -> None:
    case = _held_case(db, world)
    minutes = svc.start(db, case.meetings[0].id, world.actor("coordinator"), NOW)
    svc.save_draft(db, minutes.id, _data(world), world.actor("coordinator"), NOW)
    svc.approve(db, minutes.id, world.actor("convener"), NOW, SETTINGS)

    events = db.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "minutes", AuditEvent.action == "approve"
        )
    ).all()
    assert len(events) == 1 and events[0].actor == "convener@mora.example"
    mails = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
    recipients = sorted(to for m in mails for to in m.payload["to"])
    assert recipients == sorted(
        [
            "kund@foretag.example",
            "rep.bygg@mora.example",
            "rep.naring@mora.example",
            "rep.raddning@mora.example",
        ]
    )
    assert all("Bygglov krävs" in m.payload["text"] for m in mails)
    points = db.scalars(select(FollowUpPoint).order_by(FollowUpPoint.due_date)).all()
    assert [(p.title, p.due_date) for p in points] == [
        ("Skicka checklista för bygglov", date(2026, 12, 10)),
        ("Boka platsbesök", date(2026, 12, 20)),
    ]
    db.refresh(case)
    assert case.status == CaseStatus.FOLLOW_UP
    assert case.meetings[0].status == MeetingStatus.HELD


def test_approved_minutes_are_read_only_and_a_correction_is_a_new_version(
    db: Session, world: World
) -> None:
    case = _held_case(db, world)
    meeting_id = case.meetings[0].id
    v1 = svc.start(db, meeting_id, world.actor("coordinator"), NOW)
    svc.save_draft(db, v1.id, _data(world), world.actor("coordinator"), NOW)
    svc.approve(db, v1.id, world.actor("convener"), NOW, SETTINGS)
    changed = replace(_data(world), decisions="Något annat")
    with pytest.raises(Conflict, match="read-only"):
        svc.save_draft(db, v1.id, changed, world.actor("coordinator"), NOW)
    with pytest.raises(Conflict, match="correction"):
        svc.start(db, meeting_id, world.actor("coordinator"), NOW)
    with pytest.raises(Invalid, match="why"):
        svc.start_correction(db, meeting_id, " ", world.actor("coordinator"), NOW)

    later = NOW + timedelta(days=1)
    v2 = svc.start_correction(db, meeting_id, "Fel datum", world.actor("coordinator"), later)
    assert (v2.version, v2.status, v2.decisions) == (2, MinutesStatus.DRAFT, v1.decisions)
    with pytest.raises(Conflict, match="already being drafted"):
        svc.start_correction(db, meeting_id, "igen", world.actor("coordinator"), later)
    fixed = replace(_data(world), decisions="Kunden skickar in ansökan senast 15 december.")
    svc.save_draft(db, v2.id, fixed, world.actor("taker"), later)
    db.query(OutboxMessage).delete()
    svc.approve(db, v2.id, world.actor("convener"), later, SETTINGS)

    db.expire_all()
    rows = minutes_access.versions(db, meeting_id)
    assert [(m.version, m.status) for m in rows] == [
        (2, MinutesStatus.APPROVED),
        (1, MinutesStatus.SUPERSEDED),
    ]
    assert rows[1].decisions == "Kunden skickar in bygglovsansökan."  # v1 unchanged
    assert minutes_access.current_approved(db, meeting_id).id == v2.id  # type: ignore[union-attr]
    mails = db.scalars(select(OutboxMessage)).all()
    assert mails and all("rättad version 2" in m.payload["subject"] for m in mails)
    # The same action points do not become follow-up points twice.
    assert len(db.scalars(select(FollowUpPoint)).all()) == 2


def test_validation_and_meeting_in_the_future(db: Session, world: World) -> None:
    case = make_case(db, world, received_at=NOW, meeting_at=NOW + timedelta(days=7))
    minutes = svc.start(db, case.meetings[0].id, world.actor("coordinator"), NOW)
    bad = svc.MinutesInput(
        action_points=[
            svc.ActionPointInput("", date(2026, 12, 1), world.departments["raddning"].id)
        ]
    )
    with pytest.raises(Invalid) as error:
        svc.save_draft(db, minutes.id, bad, world.actor("coordinator"), NOW)
    assert set(error.value.details) == {
        "action_points[0].title",
        "action_points[0].owner_department_id",
    }
    with pytest.raises(Invalid, match="not taken place"):
        svc.approve(db, minutes.id, world.actor("convener"), NOW, SETTINGS)


def test_the_convener_is_asked_by_mail_to_approve_a_draft(db: Session, world: World) -> None:
    from booking.services.followup.minutes_mail import ask_for_approval

    case = _held_case(db, world)
    meeting = case.meetings[0]
    minutes = svc.start(db, meeting.id, world.actor("taker"), NOW)
    with pytest.raises(Forbidden):
        ask_for_approval(db, minutes.id, world.actor("viewer"), NOW, SETTINGS)
    db.rollback()
    assert ask_for_approval(db, minutes.id, world.actor("taker"), NOW, SETTINGS) == (
        meeting.convener.name  # type: ignore[union-attr]
    )
    (mail,) = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
    assert mail.payload["to"] == [meeting.convener.email]  # type: ignore[union-attr]
    assert (
        mail.payload["subject"] == f"Protokoll att justera / Minutes to approve: {case.reference}"
    )
    assert f"http://forum.test/meetings/{meeting.id}/minutes" in mail.payload["text"]
    assert case.org_name not in mail.payload["text"]  # only the reference: it may be confidential
    asked = db.scalar(select(AuditEvent).where(AuditEvent.action == "approval_requested"))
    assert asked is not None and asked.actor == world.users["taker"].email
    # Approved: nothing left to ask; without a convener: say so.
    svc.approve(db, minutes.id, world.actor("convener"), NOW, SETTINGS)
    with pytest.raises(Conflict):
        ask_for_approval(db, minutes.id, world.actor("taker"), NOW, SETTINGS)
    db.rollback()
    other = _held_case(db, world)
    other.meetings[0].convener_id = None
    db.commit()
    draft = svc.start(db, other.meetings[0].id, world.actor("coordinator"), NOW)
    with pytest.raises(Invalid) as refused:
        ask_for_approval(db, draft.id, world.actor("coordinator"), NOW, SETTINGS)
    assert refused.value.reason == "no_convener"
