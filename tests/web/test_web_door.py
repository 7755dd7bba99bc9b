"""The public request form (issue 14): bad input gets a clear message and loses nothing;
staff pass contacts on; the coordinator's queue accepts and declines."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, page_text, text_of

from booking.models import ContactRequest, OutboxMessage

FORM = {
    "category": "new_establishment",
    "description": "Restaurang med uteservering.",
    "org_name": "Siljans Krog AB",
    "org_number": "556036-0793",
    "contact_name": "Lisa Krögare",
    "contact_email": "lisa@krog.example",
    "questions": ["food", "alcohol"],
    "consent": "y",
}


def _count(db: Db) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(ContactRequest)) or 0)


def test_bad_input_gets_a_message_and_keeps_what_was_typed(client: FlaskClient, seeded: Db) -> None:
    assert "Boka ett företagsmöte" in page_text(client, "/forum/mora/boka")
    assert client.get("/forum/nowhere/boka").status_code == 404
    cases = [
        ({"description": "", "org_name": "", "contact_email": ""}, "Beskriv vad du vill göra."),
        ({"org_number": "556036-0794"}, "check digit"),
        ({"description": "x" * 10000}, "Använd högst 4000 tecken."),
        ({"website": "http://spam.example"}, "Lämna fältet tomt."),
        ({"consent": ""}, "Kryssa i att du har läst hur uppgifterna hanteras."),
    ]
    for change, message in cases:
        data = {**FORM, **change}
        if not data["consent"]:
            del data["consent"]
        answer = client.post("/forum/mora/boka", data=data)
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422, change
        assert message in text_of(html), (change, text_of(html)[:800])
        if change.get("org_name") != "":
            assert 'value="Siljans Krog AB"' in html, change  # nothing typed is lost
    script = client.post("/forum/mora/boka", data={**FORM, "org_name": "<script>alert(1)</script>"})
    assert script.status_code == 200 and "<script>alert(1)" not in script.get_data(as_text=True)
    assert _count(seeded) == 1
    stored = seeded.scalar(select(ContactRequest.org_name))
    assert stored == "<script>alert(1)</script>"  # kept as text, shown escaped


def test_fifty_requests_from_one_address_meet_the_limit(client: FlaskClient, seeded: Db) -> None:
    statuses = [client.post("/forum/mora/boka", data=FORM).status_code for _ in range(50)]
    assert statuses.count(200) == 5 and statuses.count(429) == 45
    refused = client.post("/forum/mora/boka", data=FORM)
    assert "För många förfrågningar från din adress" in text_of(refused.get_data(as_text=True))
    assert 'value="Siljans Krog AB"' in refused.get_data(as_text=True)


def test_confirm_follow_and_triage(client: FlaskClient, login_as: LoginAs, seeded: Db) -> None:
    assert client.post("/forum/mora/boka", data=FORM).status_code == 200
    mail = seeded.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert mail is not None
    link = re.search(r"http://forum\.test(/forum/mora/boka/\S+)", mail.payload["text"])
    assert link is not None
    assert "Tack: vi har tagit emot din förfrågan" in page_text(client, link.group(1))
    seeded.expire_all()
    ack = seeded.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    follow = re.search(r"http://forum\.test(/foretag/\S+)", ack.payload["text"])  # type: ignore[union-attr]
    assert follow is not None
    assert "Hos samordnaren" in page_text(client, follow.group(1))

    coordinator = login_as("coordinator")
    queue = page_text(coordinator, "/intake")
    assert "Siljans Krog AB" in queue and "webbformuläret" in queue
    contact = seeded.scalar(select(ContactRequest))
    assert contact is not None
    detail = coordinator.get(f"/intake/{contact.id}").get_data(as_text=True)
    ticked = re.findall(r'value="(\d+)" checked', detail)
    assert ticked  # the routing rules' suggestion
    accepted = coordinator.post(f"/intake/{contact.id}/accept", data={"department_ids": ticked})
    assert accepted.status_code == 302 and "/book" in accepted.location
    assert "Den är nu ett ärende" in page_text(client, follow.group(1))


def test_anyone_signed_in_passes_a_contact_on(login_as: LoginAs, seeded: Db) -> None:
    representative = login_as("representative")
    assert representative.get("/intake").status_code == 403  # no triage
    refused = representative.post("/intake/new", data={**FORM, "consent_note": ""})
    assert refused.status_code == 422
    assert "Say how the business agreed" in text_of(
        refused.get_data(as_text=True)
    ) or "godkände" in text_of(refused.get_data(as_text=True))
    done = representative.post("/intake/new", data={**FORM, "consent_note": "per telefon 3 dec"})
    assert done.status_code == 302
    assert "Siljans Krog AB" in page_text(representative, "/intake/mine")


def _last_mail_to(db: Db, address: str) -> dict[str, str]:
    db.expire_all()
    rows = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).all()
    return next(m.payload for m in rows if address in m.payload["to"])


def test_the_coordinator_asks_and_the_business_answers_once(login_as: LoginAs, seeded: Db) -> None:
    receiver = login_as("receiver")
    assert (
        receiver.post("/intake/new", data={**FORM, "consent_note": "i telefon"}).status_code == 302
    )
    contact = seeded.scalar(select(ContactRequest))
    assert contact is not None
    receiver.post("/logout")
    coordinator = login_as("coordinator")
    empty = coordinator.post(f"/intake/{contact.id}/ask", data={"question": "  "})
    assert empty.status_code == 422 and "Skriv texten först." in text_of(
        empty.get_data(as_text=True)
    )
    asked = coordinator.post(
        f"/intake/{contact.id}/ask", data={"question": "Hur många sittplatser blir det?"}
    )
    assert asked.status_code == 302
    assert "väntar på företagets svar" in page_text(coordinator, "/intake")  # still in the queue
    mail = _last_mail_to(seeded, "lisa@krog.example")
    assert "Hur många sittplatser blir det?" in mail["text"]
    link = re.search(r"http://forum\.test(/foretag/svar/\S+)", mail["text"])
    assert link is not None
    coordinator.post("/logout")

    business = coordinator  # the same browser, signed out: the link needs no account
    forged = link.group(1)[:-3] + "xyz"
    assert business.get(forged).status_code == 404
    page = business.get(link.group(1))
    assert page.status_code == 200 and "Hur många sittplatser blir det?" in page.get_data(
        as_text=True
    )
    blank = business.post(link.group(1), data={"answer": ""})
    assert blank.status_code == 422
    answered = business.post(link.group(1), data={"answer": "Fyrtio inne, tjugo ute."})
    assert answered.status_code == 200 and "Tack för ditt svar" in text_of(
        answered.get_data(as_text=True)
    )
    again = business.post(link.group(1), data={"answer": "Ändrat svar"})
    assert again.status_code == 404  # answered once: the link is closed
    seeded.expire_all()
    assert seeded.get(ContactRequest, contact.id).status.value == "new"  # type: ignore[union-attr]

    coordinator = login_as("coordinator")
    detail = page_text(coordinator, f"/intake/{contact.id}")
    assert "Fyrtio inne, tjugo ute." in detail and "Ändrat svar" not in detail


def test_one_department_is_enough_and_the_receiver_sees_what_became_of_it(
    login_as: LoginAs, seeded: Db
) -> None:
    receiver = login_as("receiver")
    assert receiver.get("/overview").status_code == 403
    assert receiver.get("/cases").status_code == 403
    assert (
        receiver.post("/intake/new", data={**FORM, "consent_note": "i telefon"}).status_code == 302
    )
    contact = seeded.scalar(select(ContactRequest))
    assert contact is not None
    receiver.post("/logout")
    coordinator = login_as("coordinator")
    none_chosen = coordinator.post(f"/intake/{contact.id}/forward", data={"department_id": ""})
    assert none_chosen.status_code == 422
    assert "Välj förvaltningen" in text_of(none_chosen.get_data(as_text=True))
    detail = coordinator.get(f"/intake/{contact.id}").get_data(as_text=True)
    options = dict(
        (name.strip(), value)
        for value, name in re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', detail)
    )
    miljo = next(v for k, v in options.items() if k.startswith("Miljö"))
    done = coordinator.post(
        f"/intake/{contact.id}/forward", data={"department_id": miljo, "note": "Bara livsmedel."}
    )
    assert done.status_code == 302
    twice = coordinator.post(f"/intake/{contact.id}/forward", data={"department_id": miljo})
    assert twice.status_code == 409  # handled once
    to_business = _last_mail_to(seeded, "lisa@krog.example")
    assert "Miljö" in to_business["subject"] and "Bara livsmedel." in to_business["text"]
    handed = [
        m.payload
        for m in seeded.scalars(select(OutboxMessage)).all()
        if "Siljans Krog AB" in m.payload["subject"]
    ]
    assert len(handed) == 1 and "lisa@krog.example" in handed[0]["text"]
    coordinator.post("/logout")
    receiver = login_as("receiver")
    mine = page_text(receiver, "/intake/mine")
    assert "Siljans Krog AB" in mine and "Lämnad till Miljö" in mine


def test_an_administrator_edits_the_routing_rules(login_as: LoginAs, seeded: Db) -> None:
    coordinator = login_as("coordinator")
    assert coordinator.get("/admin/routing").status_code == 403
    coordinator.post("/logout")
    admin = login_as("admin")
    page = admin.get("/admin/routing").get_data(as_text=True)
    assert "Kategori: Nyetablering" in text_of(page)
    refused = admin.post("/admin/routing", data={"match": "question:nonsense", "department_id": 1})
    assert refused.status_code == 422
    police = re.search(r'<option value="(\d+)">Polis', page)
    assert police is not None
    added = admin.post(
        "/admin/routing", data={"match": "question:water", "department_id": police.group(1)}
    )
    assert added.status_code == 302
    from booking.services.intake import routing

    assert {d.slug for d in routing.suggest(seeded, 1, "event", ["water"])} >= {"polisen"}
    chosen = int(police.group(1))
    rule = next(
        r for r in routing.rules(seeded) if (r.match, r.department_id) == ("question:water", chosen)
    )
    rule_id = rule.id
    assert admin.post(f"/admin/routing/{rule_id}/remove").status_code == 302
    seeded.expire_all()
    assert rule_id not in {r.id for r in routing.rules(seeded)}
