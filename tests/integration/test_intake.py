"""The door in (issue 14): a request from the public form reaches the queue only once its
e-mail is confirmed; anyone signed in passes a contact on; the routing rules suggest the
departments; the coordinator accepts (a case whose lead time counts from the first contact)
or declines with a reason; the business is told each step."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.vocabulary import RequestStatus
from booking.models import Case, ContactRequest, OutboxMessage
from booking.services.audit import Actor
from booking.services.demo import demo_user
from booking.services.errors import Conflict, Invalid
from booking.services.intake import requests as intake
from booking.services.intake import routing, triage

BASE = "http://forum.test"


def request_body(**change: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "new_establishment",
        "description": "Restaurang med uteservering och fullständiga rättigheter.",
        "place": "Kyrkogatan 3, Mora",
        "start_hope": "Våren 2027",
        "org_name": "Siljans Krog AB",
        "org_number": "556036-0793",
        "contact_name": "Lisa Krögare",
        "contact_email": "lisa@krog.example",
        "contact_phone": "070-111 22 33",
        "questions": ["food", "alcohol", "fire", "building"],
    }
    body.update(change)
    return body


def _mails_to(db: Session, address: str) -> list[dict[str, Any]]:
    rows = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email")).all()
    return [m.payload for m in rows if address in m.payload["to"]]


def test_a_restaurant_is_routed_to_the_departments_it_needs(seeded: Session) -> None:
    mora = 1
    names = {
        d.slug
        for d in routing.suggest(seeded, mora, "new_establishment", request_body()["questions"])
    }
    assert names == {"naringsliv-mora", "stadsbyggnad", "miljokontoret", "brandkar"}
    event = {d.slug for d in routing.suggest(seeded, mora, "event", ["police"])}
    assert {"polisen", "brandkar", "teknik-mora"} <= event and "teknik-orsa" not in event


def test_a_public_request_needs_its_email_confirmed_then_is_accepted(
    seeded: Session, clock: FixedClock
) -> None:
    sent = intake.submit_public(seeded, "mora", request_body(), "10.0.0.1", clock.now(), BASE)
    assert sent.request.status == RequestStatus.UNCONFIRMED
    assert triage.queue(seeded) == []
    (confirm_mail,) = _mails_to(seeded, "lisa@krog.example")
    assert f"{BASE}/forum/mora/boka/{sent.confirm_token}" in confirm_mail["text"]

    later = clock.now() + timedelta(hours=2)
    confirmed = intake.confirm(seeded, sent.confirm_token, later, BASE)
    assert confirmed.status == RequestStatus.NEW and triage.queue(seeded) == [confirmed]
    ack = _mails_to(seeded, "lisa@krog.example")[-1]
    assert "inom 3 arbetsdagar" in ack["text"] and f"{BASE}/foretag/" in ack["text"]
    assert intake.confirm(seeded, sent.confirm_token, later, BASE).id == confirmed.id  # twice: once

    coordinator = Actor.of(demo_user(seeded, "coordinator"))
    suggested = routing.suggest(seeded, 1, "new_establishment", confirmed.questions)
    accepted_at = later + timedelta(days=1)
    case = triage.accept(seeded, confirmed.id, [d.id for d in suggested], coordinator, accepted_at)
    assert case.received_at == sent.request.created_at  # lead time from the first contact
    assert {d.slug for d in case.departments} == {d.slug for d in suggested}
    assert "Kyrkogatan 3, Mora" in case.description
    assert "är nu ärende " + case.reference in _mails_to(seeded, "lisa@krog.example")[-1]["text"]
    with pytest.raises(Conflict):
        triage.accept(seeded, confirmed.id, [suggested[0].id], coordinator, accepted_at)
    seeded.rollback()
    assert (
        seeded.scalar(select(ContactRequest.case_id).where(ContactRequest.id == confirmed.id))
        == case.id
    )


def test_the_public_form_is_rate_limited_per_address(seeded: Session, clock: FixedClock) -> None:
    for _ in range(intake.PUBLIC_LIMIT):
        intake.submit_public(seeded, "mora", request_body(), "10.0.0.9", clock.now(), BASE)
    with pytest.raises(Conflict) as refused:
        intake.submit_public(seeded, "mora", request_body(), "10.0.0.9", clock.now(), BASE)
    assert refused.value.reason == "too_many_requests"
    seeded.rollback()
    intake.submit_public(seeded, "mora", request_body(), "10.0.0.10", clock.now(), BASE)


def test_bad_requests_are_refused_and_nothing_is_stored(seeded: Session, clock: FixedClock) -> None:
    for change in (
        {"org_number": "556036-0794"},
        {"description": ""},
        {"description": "x" * 4001},
        {"contact_email": "a@b.example, c@d.example"},
        {"questions": ["helicopter"]},
    ):
        with pytest.raises(Invalid):
            intake.submit_public(
                seeded, "mora", request_body(**change), "10.0.0.2", clock.now(), BASE
            )
        seeded.rollback()
    assert seeded.scalar(select(ContactRequest.id)) is None


def test_staff_pass_a_contact_on_and_the_coordinator_declines_it(
    seeded: Session, clock: FixedClock
) -> None:
    viewer = demo_user(seeded, "viewer")
    with pytest.raises(Invalid):
        intake.submit_staff(seeded, "mora", request_body(), viewer, "", clock.now(), BASE)
    seeded.rollback()
    sent = intake.submit_staff(
        seeded, "mora", request_body(category="event"), viewer, "per telefon", clock.now(), BASE
    )
    assert sent.request.status == RequestStatus.NEW
    assert intake.passed_on_by(seeded, viewer.id) == [sent.request]
    coordinator = Actor.of(demo_user(seeded, "coordinator"))
    with pytest.raises(Invalid):
        triage.decline(seeded, sent.request.id, " ", coordinator, clock.now())
    seeded.rollback()
    triage.decline(
        seeded,
        sent.request.id,
        "Gäller bara bygglov: kontakta bygg direkt.",
        coordinator,
        clock.now(),
    )
    assert "Gäller bara bygglov" in _mails_to(seeded, "lisa@krog.example")[-1]["text"]
    assert seeded.scalar(select(Case.id)) is None


def test_the_business_is_written_to_in_its_language(seeded: Session, clock: FixedClock) -> None:
    viewer = demo_user(seeded, "viewer")
    english = request_body(language="en", contact_email="sam@pub.example")
    intake.submit_staff(seeded, "mora", english, viewer, "by phone", clock.now(), BASE)
    swedish = request_body(contact_email="lisa@krog.example")
    intake.submit_staff(seeded, "mora", swedish, viewer, "per telefon", clock.now(), BASE)
    (to_sam,) = _mails_to(seeded, "sam@pub.example")
    (to_lisa,) = _mails_to(seeded, "lisa@krog.example")
    assert to_sam["subject"].startswith("Request received") and "Hello" in to_sam["text"]
    assert '<html lang="en">' in to_sam["html"]
    assert to_lisa["subject"].startswith("Vi har tagit emot") and "Hej" in to_lisa["text"]


def test_an_unconfirmed_request_is_removed_after_a_week(seeded: Session, clock: FixedClock) -> None:
    sent = intake.submit_public(seeded, "mora", request_body(), "10.0.0.9", clock.now(), BASE)
    kept = intake.submit_public(
        seeded, "mora", request_body(contact_email="ok@krog.example"), "10.0.0.8", clock.now(), BASE
    )
    intake.confirm(seeded, kept.confirm_token, clock.now(), BASE)
    assert intake.purge_unconfirmed(seeded, clock.now() + timedelta(days=6)) == 0
    assert intake.purge_unconfirmed(seeded, clock.now() + timedelta(days=8)) == 1
    seeded.expire_all()
    remaining = seeded.scalars(select(ContactRequest.id)).all()
    assert remaining == [kept.request.id] and sent.request.id not in remaining
