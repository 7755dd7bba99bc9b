"""Retention removes the customer's personal data of old closed cases, and nothing else."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from followup_world import World, make_case, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.terms import parse_term
from booking.domain.vocabulary import CaseStatus, MeetingStatus, MinutesStatus
from booking.models import (
    AuditEvent,
    Case,
    FollowUpPoint,
    Minutes,
    OutboxMessage,
    Survey,
    SurveyAnswer,
)
from booking.services import audit
from booking.services.followup import statistics
from booking.services.followup.policy import FollowupPolicy
from booking.services.followup.retention import REMOVED, run_retention
from config import Settings

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
ON = FollowupPolicy.from_settings(replace(Settings(), retention_years=2))


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def _closed_case(db: Session, world: World, closed_at: datetime) -> Case:
    meeting_at = closed_at - timedelta(days=40)
    case = make_case(
        db,
        world,
        received_at=meeting_at - timedelta(days=20),
        meeting_at=meeting_at,
        status=CaseStatus.CLOSED,
        meeting_status=MeetingStatus.HELD,
    )
    case.closed_at = closed_at
    meeting = case.meetings[0]
    minutes = Minutes(
        meeting_id=meeting.id,
        status=MinutesStatus.APPROVED,
        version=1,
        customer_present="Kim Kund",
        decisions="Bygglov söks.",
        present=[],
    )
    db.add(minutes)
    db.add(
        FollowUpPoint(
            case_id=case.id,
            title="Bygglov",
            due_date=meeting_at.date(),
            owner_name="Rep Bygg",
            status="done",
        )
    )
    survey = Survey(
        case_id=case.id,
        meeting_id=meeting.id,
        recipient_key=case.contact_email,
        token_hash=f"hash-{case.id}",
        scale=6,
    )
    db.add(survey)
    db.flush()
    db.add(
        SurveyAnswer(
            survey_id=survey.id,
            scale=6,
            q_overall=5,
            q_expectations=5,
            q_ideal=4,
            comment="Ring mig på 070-123 45 67",
        )
    )
    db.add(
        OutboxMessage(
            kind="email",
            meeting_id=meeting.id,
            status="done",
            payload={"to": case.contact_email, "subject": "Protokoll"},
        )
    )
    audit.record(
        db,
        audit.Actor.system(),
        "case",
        case.id,
        "create",
        case_id=case.id,
        after={"contact_email": case.contact_email, "category": case.category},
    )
    db.commit()
    return case


def _snapshot(db: Session, case: Case) -> dict[str, Any]:
    db.expire_all()
    case = db.get(Case, case.id)  # type: ignore[assignment]
    return {
        "case": {c.name: getattr(case, c.key) for c in Case.__table__.columns},
        "minutes": [
            (m.decisions, m.customer_present)
            for m in db.scalars(select(Minutes).where(Minutes.meeting_id == case.meetings[0].id))
        ],
        "points": [
            (p.title, p.status, p.owner_name)
            for p in db.scalars(select(FollowUpPoint).where(FollowUpPoint.case_id == case.id))
        ],
        "answers": [
            (a.q_overall, a.q_expectations, a.q_ideal, a.comment)
            for a in db.scalars(select(SurveyAnswer).join(Survey).where(Survey.case_id == case.id))
        ],
        "attendees": [(a.partstat, a.replied_at) for a in case.meetings[0].attendees],
        "outbox": db.scalars(
            select(OutboxMessage.id).where(OutboxMessage.meeting_id == case.meetings[0].id)
        ).all(),
    }


def test_off_by_default(db: Session, world: World) -> None:
    case = _closed_case(db, world, NOW - timedelta(days=365 * 5))
    before = _snapshot(db, case)
    report = run_retention(db, now=NOW, settings=FollowupPolicy.from_settings(Settings()))
    assert not report.enabled and report.cases == []
    assert _snapshot(db, case) == before


def test_removes_personal_data_of_old_closed_cases_and_nothing_else(
    db: Session, world: World, clock: FixedClock
) -> None:
    clock.set(NOW - timedelta(hours=1))  # the rows were last written before the run
    old = _closed_case(db, world, NOW - timedelta(days=3 * 365))
    recent = _closed_case(db, world, NOW - timedelta(days=365))
    open_case = make_case(
        db,
        world,
        received_at=NOW - timedelta(days=2000),
        meeting_at=NOW - timedelta(days=1990),
        status=CaseStatus.FOLLOW_UP,
    )
    untouched = {c.id: _snapshot(db, c) for c in (recent, open_case)}
    old_before = _snapshot(db, old)
    terms = [parse_term(t) for t in ("2023-autumn", "2024-spring", "2024-autumn", "2025-autumn")]
    stats_before = [statistics.compute(db, t) for t in terms]

    report = run_retention(db, now=NOW, settings=ON)

    assert report.enabled and report.cases == [old.reference]
    assert report.case_fields == 6  # org name, contact name/e-mail/phone, org number, description
    assert (report.survey_comments, report.survey_recipients) == (1, 1)
    assert (report.minutes_customer_names, report.outbox_messages) == (1, 1)
    assert report.audit_snapshots == 1

    after = _snapshot(db, old)
    changed = {k for k in old_before["case"] if old_before["case"][k] != after["case"][k]}
    assert changed == {
        "org_name",
        "contact_name",
        "contact_email",
        "contact_phone",
        "org_number",
        "description",
        "anonymised_at",
        "updated_at",
    }
    assert after["case"]["org_name"] == REMOVED and after["case"]["contact_email"] == ""
    assert after["case"]["anonymised_at"] == after["case"]["updated_at"] == NOW
    assert after["minutes"] == [("Bygglov söks.", "")]
    assert after["points"] == old_before["points"]
    assert after["answers"] == [(5, 5, 4, "")]
    assert after["attendees"] == old_before["attendees"]
    assert after["outbox"] == []
    survey = db.scalars(select(Survey).where(Survey.case_id == old.id)).one()
    assert (survey.recipient_key, survey.token_hash) == ("contact-1", None)
    create = db.scalars(
        select(AuditEvent).where(AuditEvent.case_id == old.id, AuditEvent.action == "create")
    ).one()
    assert create.after == {"contact_email": REMOVED, "category": "new_establishment"}
    assert db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "retention")).one()

    for case_id, snapshot in untouched.items():
        assert _snapshot(db, db.get(Case, case_id)) == snapshot  # type: ignore[arg-type]
    assert [statistics.compute(db, t) for t in terms] == stats_before
    # A second run finds nothing more to do.
    assert run_retention(db, now=NOW, settings=ON).cases == []
