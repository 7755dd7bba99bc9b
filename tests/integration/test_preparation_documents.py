"""Documents of a case (issue 14 §4), at the service: stored with the case, checked by their
bytes, counted, audited without their content, removed by retention with the case's personal
data, and never in any feed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import feeds_helpers as h
import pytest
from flask.testing import FlaskClient
from followup_world import make_case, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.documents import MAX_FILE_BYTES, MAX_FILES_PER_CASE
from booking.domain.vocabulary import CaseStatus, MeetingStatus
from booking.models import AuditEvent, CaseDocument
from booking.services.audit import Actor
from booking.services.errors import ServiceError
from booking.services.followup.policy import FollowupPolicy
from booking.services.followup.retention import REMOVED, run_retention
from booking.services.preparation import documents
from config import Settings

PDF = b"%PDF-1.4\n%%EOF\n"
CUSTOMER = Actor.system("customer")


def test_an_upload_is_stored_counted_and_audited_without_its_content(
    db: Session, clock: FixedClock
) -> None:
    world = make_world(db)
    case = make_case(db, world, received_at=clock.now(), meeting_at=None)
    stored = documents.upload(db, case.id, "Meny 2027.pdf", PDF, CUSTOMER, clock.now())
    assert (stored.filename, stored.size, stored.uploaded_at) == ("Meny 2027.pdf", 15, clock.now())
    listed = documents.for_case(db, case.id)
    assert [d.id for d in listed] == [stored.id]
    event = db.scalars(select(AuditEvent).where(AuditEvent.entity_type == "case_document")).one()
    assert "%PDF" not in str(event.after) and event.after["size"] == 15  # type: ignore[index]

    with pytest.raises(ServiceError) as refused:
        documents.upload(db, case.id, "x.pdf", b"<html>", CUSTOMER, clock.now())
    assert (refused.value.reason, refused.value.status) == ("document_type", 400)
    db.rollback()
    with pytest.raises(ServiceError) as big:
        documents.upload(db, case.id, "x.pdf", PDF + bytes(MAX_FILE_BYTES), CUSTOMER, clock.now())
    assert (big.value.reason, big.value.status) == ("document_too_large", 413)
    db.rollback()
    for n in range(MAX_FILES_PER_CASE - 1):
        documents.upload(db, case.id, f"{n}.pdf", PDF, CUSTOMER, clock.now())
    with pytest.raises(ServiceError) as full:
        documents.upload(db, case.id, "21.pdf", PDF, CUSTOMER, clock.now())
    assert full.value.reason == "document_limit"
    db.rollback()
    assert len(documents.for_case(db, case.id)) == MAX_FILES_PER_CASE


def test_retention_removes_the_documents_with_the_personal_data(
    db: Session, clock: FixedClock
) -> None:
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    world = make_world(db)
    closed_at = now - timedelta(days=3 * 365)
    old = make_case(
        db,
        world,
        received_at=closed_at - timedelta(days=60),
        meeting_at=closed_at - timedelta(days=40),
        status=CaseStatus.CLOSED,
        meeting_status=MeetingStatus.HELD,
    )
    old.closed_at = closed_at
    recent = make_case(
        db,
        world,
        received_at=now - timedelta(days=30),
        meeting_at=now - timedelta(days=10),
        status=CaseStatus.CLOSED,
        meeting_status=MeetingStatus.HELD,
    )
    recent.closed_at = now - timedelta(days=5)
    db.commit()
    documents.upload(db, old.id, "Kim Kunds planlösning.pdf", PDF, CUSTOMER, closed_at)
    kept = documents.upload(db, recent.id, "Ritning.pdf", PDF, CUSTOMER, now)

    on = FollowupPolicy.from_settings(replace(Settings(), retention_years=2))
    report = run_retention(db, now=now, settings=on)

    assert report.cases == [old.reference] and report.documents == 1
    remaining = db.scalars(select(CaseDocument.id)).all()
    assert remaining == [kept.id]
    # The name it had is gone from the audit trail too; the size stays for the record.
    upload = db.scalars(
        select(AuditEvent).where(AuditEvent.case_id == old.id, AuditEvent.action == "upload")
    ).one()
    assert upload.after["filename"] == REMOVED  # type: ignore[index]
    assert "Kim Kunds" not in str(upload.after)
    recent_upload = db.scalars(
        select(AuditEvent).where(AuditEvent.case_id == recent.id, AuditEvent.action == "upload")
    ).one()
    assert recent_upload.after["filename"] == "Ritning.pdf"  # type: ignore[index]


def test_no_feed_ever_names_a_document(
    client: FlaskClient, seeded: Session, clock: FixedClock
) -> None:
    now = clock.now()
    marker = "zqdocmarker"
    meeting = h.book(seeded, now)
    documents.upload(seeded, meeting.case_id, f"{marker} ritning.pdf", PDF, CUSTOMER, now)
    # A change after the upload renders every feed of the meeting anew.
    h.reschedule(seeded, meeting, h.free_slots(seeded)[1], now + timedelta(minutes=5))
    feeds = h.feeds_showing(seeded, meeting, "stadsbyggnad", now)
    feeds["availability"] = "/feeds/forums/mora/availability.ics"
    for name, path in feeds.items():
        text = h.unfolded(h.get_feed(client, path))
        assert meeting.uid in text or name == "availability", name
        assert marker not in text and "ritning.pdf" not in text.lower(), name
