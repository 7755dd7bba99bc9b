"""What to ask and bring (issue 14 §4): an administrator writes, per forum and business
category, the questions the departments ask and what the business brings, in Swedish and
English; the business reads them in the acknowledgement, on its follow page and its case page,
in its own language (an empty English text shows the Swedish)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.vocabulary import CaseCategory
from booking.models import AuditEvent, CategoryGuide, OutboxMessage
from booking.services.audit import Actor
from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_user
from booking.services.errors import Invalid, NotFound
from booking.services.intake import requests as intake
from booking.services.intake import routing, triage
from booking.services.invitations import links as invitations
from booking.services.preparation import guides

BASE = "http://forum.test"
MORA = 1


def _login(client: FlaskClient, role: str) -> FlaskClient:
    sent = client.post("/login", data={"email": DEMO_LOGINS[role], "password": DEMO_PASSWORD})
    assert sent.status_code == 302
    return client


def _request(language: str = "sv", category: str = "major_change") -> dict[str, Any]:
    return {
        "category": category,
        "description": "Vi bygger om köket och utökar serveringen.",
        "org_name": "Siljans Krog AB",
        "org_number": "556036-0793",
        "contact_name": "Lisa Krögare",
        "contact_email": "lisa@krog.example",
        "questions": ["building"],
        "language": language,
    }


def _last_mail(db: Session, address: str) -> dict[str, Any]:
    rows = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [m.payload for m in rows if address in m.payload.get("to", "")][-1]


def test_the_administrator_writes_a_guide_on_the_forum_page(
    client: FlaskClient, seeded: Session
) -> None:
    admin = _login(client, "admin")
    assert f"/admin/forums/{MORA}/guides" in admin.get("/admin/forums").text
    page = admin.get(f"/admin/forums/{MORA}/guides")
    assert page.status_code == 200 and "Arrangemang" in page.text and "Planlösning" in page.text

    sent = admin.post(
        f"/admin/forums/{MORA}/guides/major_change",
        data={
            "major_change-ask": "Vad byggs om?\r\nÄndras antalet sittplatser?",
            "major_change-bring": "Ritningar före och efter",
            "major_change-ask_en": "",
            "major_change-bring_en": "Drawings before and after",
        },
    )
    assert sent.status_code == 302
    assert "sparade" in admin.get(sent.headers["Location"]).text
    seeded.expire_all()
    guide = guides.guide_for(seeded, MORA, CaseCategory.MAJOR_CHANGE)
    assert guide is not None and guide.ask == "Vad byggs om?\nÄndras antalet sittplatser?"
    event = seeded.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "category_guide")
    ).one()
    assert (event.action, event.actor, event.entity_id) == (
        "update",
        DEMO_LOGINS["admin"],
        guide.id,
    )
    assert event.after["bring_en"] == "Drawings before and after"  # type: ignore[index]
    assert event.before["bring_en"].startswith("Drawings before and after the change")  # type: ignore[index]

    # A control character (pasted from Word) is refused and what was typed stays.
    refused = admin.post(
        f"/admin/forums/{MORA}/guides/event",
        data={"event-ask": "Hur många besökare?\x07", "event-bring": "Situationsplan X"},
    )
    assert refused.status_code == 422 and "Situationsplan X" in refused.text
    assert admin.post(f"/admin/forums/{MORA}/guides/internal", data={}).status_code == 404
    assert admin.post("/admin/forums/999/guides/event", data={}).status_code == 404


def test_the_guide_forms_carry_their_own_csrf_token(
    app: Flask, client: FlaskClient, seeded: Session
) -> None:
    """Each category's form has its prefix, its CSRF token too: the page must send that one."""
    app.config["WTF_CSRF_ENABLED"] = True
    admin = _login_with_csrf(client)
    page = admin.get(f"/admin/forums/{MORA}/guides").text
    token = re.search(r'name="event-csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    data = {"event-ask": "Hur många besökare?", "event-bring": "Karta"}
    assert admin.post(f"/admin/forums/{MORA}/guides/event", data=data).status_code == 422
    data["event-csrf_token"] = token.group(1)
    assert admin.post(f"/admin/forums/{MORA}/guides/event", data=data).status_code == 302


def _login_with_csrf(client: FlaskClient) -> FlaskClient:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    data = {"email": DEMO_LOGINS["admin"], "password": DEMO_PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=data).status_code == 302
    return client


def test_only_administrators_edit_guides(client: FlaskClient, seeded: Session) -> None:
    coordinator = _login(client, "coordinator")
    assert coordinator.get(f"/admin/forums/{MORA}/guides").status_code == 403
    assert coordinator.post(f"/admin/forums/{MORA}/guides/event", data={}).status_code == 403


def test_save_guide_is_audited_and_checked(seeded: Session, clock: FixedClock) -> None:
    admin = Actor.of(demo_user(seeded, "admin"))
    orsa = 2
    seeded.query(CategoryGuide).filter(CategoryGuide.forum_id == orsa).delete()
    seeded.commit()
    saved = guides.save_guide(
        seeded, orsa, "event", {"ask": "Hur många?", "bring": "Karta"}, admin, clock.now()
    )
    assert (saved.ask, saved.bring, saved.ask_en) == ("Hur många?", "Karta", "")
    created = seeded.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_type == "category_guide", AuditEvent.action == "create"
        )
    ).one()
    assert created.after == {"forum_id": orsa, "category": "event", "ask": "Hur många?",
                             "bring": "Karta", "ask_en": "", "bring_en": ""}  # fmt: skip
    # Saving the same text again writes no audit event.
    guides.save_guide(
        seeded, orsa, "event", {"ask": "Hur många?", "bring": "Karta"}, admin, clock.now()
    )
    assert seeded.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "category_guide")
    ).all() == [created]
    for bad in ({"ask": "x" * (guides.MAX_CHARS + 1)}, {"bring": "a\x00b"}, {"other": "x"}):
        try:
            guides.save_guide(seeded, orsa, "event", bad, admin, clock.now())
        except Invalid:
            seeded.rollback()
        else:
            raise AssertionError(bad)
    for forum_id, category in ((orsa, "internal"), (999, "event")):
        try:
            guides.save_guide(seeded, forum_id, category, {}, admin, clock.now())
        except NotFound:
            seeded.rollback()
        else:
            raise AssertionError(category)


def test_the_business_reads_the_guide_in_mail_follow_page_and_case_page(
    client: FlaskClient, seeded: Session, clock: FixedClock
) -> None:
    """Swedish for a Swedish request; English for an English one, where an empty English
    text shows the Swedish."""
    guide = guides.guide_for(seeded, MORA, CaseCategory.MAJOR_CHANGE)
    assert guide is not None
    guide.ask_en = ""  # the English questions not written: the Swedish ones are shown
    seeded.commit()

    sent = intake.submit_public(seeded, "mora", _request("sv"), "10.0.0.1", clock.now(), BASE)
    intake.confirm(seeded, sent.confirm_token, clock.now(), BASE)
    ack = _last_mail(seeded, "lisa@krog.example")
    assert "Ta gärna med till mötet" in ack["text"]
    assert "- Ritningar före och efter ändringen" in ack["text"]
    assert "- Vad ändras i lokalen eller verksamheten?" in ack["text"]

    english = _request("en")
    english["contact_email"] = "lisa.en@krog.example"
    sent_en = intake.submit_public(seeded, "mora", english, "10.0.0.2", clock.now(), BASE)
    intake.confirm(seeded, sent_en.confirm_token, clock.now(), BASE)
    ack_en = _last_mail(seeded, "lisa.en@krog.example")
    assert "Please bring to the meeting" in ack_en["text"]
    assert "- Drawings before and after the change" in ack_en["text"]
    assert "- Vad ändras i lokalen eller verksamheten?" in ack_en["text"]  # the fallback

    follow = re.search(r"http://forum\.test(/foretag/\S+)", ack_en["text"])
    assert follow is not None
    page = client.get(follow.group(1))
    assert page.status_code == 200 and "Drawings before and after the change" in page.text

    coordinator = Actor.of(demo_user(seeded, "coordinator"))
    request = sent_en.request
    suggested = [d.id for d in routing.suggest(seeded, MORA, "major_change", ["building"])]
    case = triage.accept(
        seeded, request.id, suggested, coordinator, clock.now() + timedelta(hours=1)
    )
    link = invitations.customer_link(seeded, case, base_url="", secret_key="test-secret")
    seeded.commit()
    case_page = client.get(link)
    assert case_page.status_code == 200
    assert "Drawings before and after the change" in case_page.text
    assert "Vad ändras i lokalen eller verksamheten?" in case_page.text


def test_no_guide_no_heading(client: FlaskClient, seeded: Session, clock: FixedClock) -> None:
    seeded.query(CategoryGuide).delete()
    seeded.commit()
    sent = intake.submit_public(seeded, "mora", _request(), "10.0.0.3", clock.now(), BASE)
    intake.confirm(seeded, sent.confirm_token, clock.now(), BASE)
    ack = _last_mail(seeded, "lisa@krog.example")
    assert "Ta gärna med" not in ack["text"] and "brukar fråga" not in ack["text"]
