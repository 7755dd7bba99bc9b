"""The worker runs the follow-through jobs: NKI surveys when due, hourly, sharing one schedule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from flask import Flask
from followup_world import make_case, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseStatus, MeetingStatus
from booking.models import OutboxMessage, Survey
from booking.services.followup.policy import FollowupPolicy
from booking.services.worker import TickReport, Worker, WorkerSetup
from config import Settings

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


class _NoMail:
    """Mail is not delivered in this test: only what the jobs enqueue is asserted."""

    def send(self, message: object) -> None:  # pragma: no cover - never called here
        raise AssertionError("no delivery expected")


def test_follow_through_job_sends_due_surveys_once_per_hour(app: Flask, db: Session) -> None:
    world = make_world(db)
    make_case(
        db,
        world,
        received_at=NOW - timedelta(days=30),
        meeting_at=NOW - timedelta(days=4),
        status=CaseStatus.FOLLOW_UP,
        meeting_status=MeetingStatus.HELD,
    )
    settings = replace(
        Settings(), survey_delay_days=3, retention_years=0, public_base_url="http://f.test"
    )
    setup = WorkerSetup(
        calendar_factory=lambda: None,
        mailer=_NoMail(),  # type: ignore[arg-type]
        policies=replace(
            app.extensions["policies"], followup=FollowupPolicy.from_settings(settings)
        ),
    )
    worker = Worker(app.extensions["session_factory"], setup)
    first = TickReport()
    worker.follow_through(NOW, first)
    assert first.surveys == 1
    assert db.scalars(select(Survey)).one().case_id is not None
    mails = [m for m in db.scalars(select(OutboxMessage)) if m.kind == "email"]
    assert len(mails) == 1 and "f.test/s/" in mails[0].payload["text"]

    again = TickReport()
    worker.follow_through(NOW + timedelta(minutes=30), again)  # not due yet: nothing runs
    worker.follow_through(NOW + timedelta(hours=2), again)  # due, but nothing new to send
    assert again.surveys == 0
    retention = TickReport()
    worker.retention(NOW, retention)
    assert retention.anonymised_cases == 0  # RETENTION_YEARS=0: off
