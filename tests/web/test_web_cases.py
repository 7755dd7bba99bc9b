"""Case pages on the real case and booking services: register, propose, book, reschedule,
cancel, status, history, and what each role may do and see."""

from __future__ import annotations

import gc
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, book_directly, page_text, text_of

from booking.clock import FixedClock
from booking.domain.vocabulary import CaseStatus, MeetingStatus
from booking.models import Case, Department, Meeting, Representative


def _dept(db: Db, slug: str) -> Department:
    department = db.scalar(select(Department).where(Department.slug == slug))
    assert department is not None
    return department


def _case_form(db: Db, **change: object) -> dict[str, object]:
    data: dict[str, object] = {
        "forum": "mora",
        "org_name": "Siljans Bageri AB",
        "org_number": "556036-0793",
        "contact_name": "Greta Kund",
        "contact_email": "greta@bageri.example",
        "contact_phone": "070-123 45 67",
        "category": "new_establishment",
        "description": "Nytt bageri med servering.",
        "responsibility_areas": "livsmedel, bygglov",
        "department_ids": [str(_dept(db, "stadsbyggnad").id), str(_dept(db, "miljokontoret").id)],
        "consent_to_share": "y",
    }
    data.update(change)
    return {k: v for k, v in data.items() if v is not None}


def register(client: FlaskClient, db: Db, **change: object) -> Case:
    response = client.post("/cases/new", data=_case_form(db, **change))
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    case_id = int(response.location.rstrip("/").split("/")[-2])
    case = db.get(Case, case_id)
    assert case is not None
    return case


def book_first(client: FlaskClient, db: Db, case: Case) -> Meeting:
    html = client.get(f"/cases/{case.id}/book").get_data(as_text=True)
    slot = re.findall(r'name="slot" value="(\d+)"', html)[0]
    response = client.post(
        f"/cases/{case.id}/book", data={"slot": slot, "convener_id": "0", "minute_taker_id": "0"}
    )
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    db.expire_all()
    meeting = db.scalar(select(Meeting).where(Meeting.case_id == case.id))
    assert meeting is not None and meeting.slot_id == int(slot)
    return meeting


def test_register_then_proposals_with_representatives(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    assert "Registrera ett nytt ärende" in page_text(client, "/cases/new")
    case = register(client, seeded)
    assert case.reference == "MORA-2026-0001" and case.status == CaseStatus.RECEIVED
    assert case.responsibility_areas == ["livsmedel", "bygglov"]
    text = page_text(client, f"/cases/{case.id}/book")
    assert "Ärendet MORA-2026-0001 är registrerat." in text
    assert "Föreslagna tider för MORA-2026-0001" in text
    # Five working days' notice from Monday 30 November: Forum Mora's first is 8 December.
    assert "tisdag 8 december 2026, v. 50, 13:00–14:00" in text
    assert "Stadsbyggnadsförvaltningen Mora Orsa:" in text and "Miljökontoret Mora Orsa:" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"org_name": ""}, "Ange företagets eller organisationens namn."),
        ({"org_number": "556036-0794"}, "Kontrollera organisationsnumret"),
        ({"department_ids": None}, "Välj minst en förvaltning."),
        ({"category": None}, "Välj vilken sorts ärende det är."),
        ({"contact_email": "greta-at-bageri"}, "Ange en giltig e-postadress."),
        ({"org_name": "x" * 301}, "Använd högst 300 tecken."),
        ({"forum": "nowhere"}, "Forum"),
    ],
)
def test_register_form_says_what_to_fix(
    login_as: LoginAs, seeded: Db, change: dict[str, object], message: str
) -> None:
    client = login_as("coordinator")
    response = client.post("/cases/new", data=_case_form(seeded, **change))
    assert response.status_code == 422
    assert message in text_of(response.get_data(as_text=True))
    assert seeded.scalar(select(Case)) is None


def test_department_of_another_forum_is_refused_in_swedish(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    orsa_only = _dept(seeded, "naringsliv-orsa")
    response = client.post(
        "/cases/new", data=_case_form(seeded, department_ids=[str(orsa_only.id)])
    )
    assert response.status_code == 422
    assert "Näringsliv Orsa deltar inte i Forum Mora" in text_of(response.get_data(as_text=True))


def test_book_first_proposal_and_see_it_everywhere(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    case = register(client, seeded)
    meeting = book_first(client, seeded, case)
    assert meeting.status == MeetingStatus.BOOKED
    text = page_text(client, f"/cases/{case.id}")
    assert "Bokat: tisdag 8 december 2026, v. 50 13:00–14:00." in text
    assert "0/2 svar" in text and "Inte svarat än" in text
    assert "Greta Kund" in text and "greta@bageri.example" in text
    assert "Mötet bokades" in text  # history
    overview = page_text(client, "/overview?forum=mora")
    assert "MORA-2026-0001 · Siljans Bageri AB" in overview and "0/2 svar" in overview
    listing = page_text(client, "/cases")
    assert "MORA-2026-0001" in listing and "tis 8 dec. 2026 13:00" in listing
    # The booked case's proposals page sends back to the case.
    assert client.get(f"/cases/{case.id}/book").status_code == 302


def test_reschedule_keeps_identity_and_cancel_with_reason(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    case = register(client, seeded)
    meeting = book_first(client, seeded, case)
    uid, sequence, old_slot = meeting.uid, meeting.sequence, meeting.slot_id
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    choices = re.findall(r'<option value="(\d+)"', html)
    assert choices
    response = client.post(
        f"/cases/{case.id}/meetings/{meeting.id}/reschedule", data={"slot": choices[0]}
    )
    assert response.status_code == 302
    seeded.expire_all()
    assert meeting.uid == uid and meeting.sequence == sequence + 1
    assert meeting.slot_id == int(choices[0]) != old_slot
    assert "Mötet är flyttat till" in page_text(client, f"/cases/{case.id}")
    # Cancel: a reason is required, then the slot is free and the case open again.
    response = client.post(f"/cases/{case.id}/meetings/{meeting.id}/cancel", data={"reason": ""})
    assert response.status_code == 422
    assert "Ange ett skäl till att det ställs in." in text_of(response.get_data(as_text=True))
    response = client.post(
        f"/cases/{case.id}/meetings/{meeting.id}/cancel", data={"reason": "Kunden har förhinder"}
    )
    assert response.status_code == 302
    seeded.expire_all()
    assert meeting.status == MeetingStatus.CANCELLED and meeting.slot_id is None
    assert case.status == CaseStatus.RECEIVED
    text = page_text(client, f"/cases/{case.id}")
    assert "Inställd (Kunden har förhinder)" in text and "Visa föreslagna tider och boka" in text


def test_taken_slot_is_refused_with_the_next_free_time(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    first = register(client, seeded)
    second = register(client, seeded, org_name="Orsa Camping AB", org_number="")
    meeting = book_first(client, seeded, first)
    response = client.post(
        f"/cases/{second.id}/book",
        data={"slot": str(meeting.slot_id), "convener_id": "0", "minute_taker_id": "0"},
    )
    assert response.status_code == 409
    text = text_of(response.get_data(as_text=True))
    assert "Nästa lediga tid är" in text
    seeded.expire_all()
    assert second.status == CaseStatus.RECEIVED


def test_moving_to_a_taken_slot_is_refused(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    first = register(client, seeded)
    second = register(client, seeded, org_name="Orsa Camping AB", org_number="")
    taken = book_first(client, seeded, first)
    moving = book_first(client, seeded, second)
    response = client.post(
        f"/cases/{second.id}/meetings/{moving.id}/reschedule", data={"slot": str(taken.slot_id)}
    )
    assert response.status_code == 409
    seeded.expire_all()
    assert moving.slot_id != taken.slot_id


def test_bad_ids_and_input_never_500(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    case = register(client, seeded)
    assert client.get("/cases/999999").status_code == 404
    assert client.get("/cases/999999/book").status_code == 404
    assert client.post("/cases/999999/book", data={"slot": "1"}).status_code == 404
    response = client.post(f"/cases/{case.id}/book", data={"slot": "not-a-number"})
    assert response.status_code == 422
    response = client.post(
        f"/cases/{case.id}/book",
        data={"slot": "999999", "convener_id": "0", "minute_taker_id": "0"},
    )
    assert response.status_code in (404, 409, 422)
    assert client.post(f"/cases/{case.id}/meetings/999999/cancel").status_code == 404
    assert client.get("/cases?status=bogus").status_code == 400
    assert client.get("/cases?page=-3").status_code == 200


def test_edit_case_and_change_status(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    case = register(client, seeded)
    form = _case_form(seeded, org_name="Siljans Bageri och Café AB")
    form.pop("forum")
    response = client.post(f"/cases/{case.id}/edit", data=form)
    assert response.status_code == 302
    seeded.expire_all()
    assert case.org_name == "Siljans Bageri och Café AB"
    assert "Uppgifter ändrades: Organisation" in page_text(client, f"/cases/{case.id}")
    book_first(client, seeded, case)
    response = client.post(f"/cases/{case.id}/status", data={"status": "confirmed"})
    assert response.status_code == 302
    seeded.expire_all()
    assert case.status == CaseStatus.CONFIRMED
    response = client.post(f"/cases/{case.id}/status", data={"status": "follow_up"})
    assert response.status_code == 422
    assert "Ärendet kan inte få den statusen nu." in text_of(response.get_data(as_text=True))


def test_status_menu_refuses_held_before_the_meeting_and_cancels_the_meeting(
    login_as: LoginAs, seeded: Db
) -> None:
    client = login_as("coordinator")
    case = register(client, seeded)
    meeting = book_first(client, seeded, case)
    response = client.post(f"/cases/{case.id}/status", data={"status": "held"})
    assert response.status_code == 422
    assert "Mötet är inte slut än." in text_of(response.get_data(as_text=True))
    seeded.expire_all()
    assert case.status == CaseStatus.BOOKED and meeting.status == MeetingStatus.BOOKED
    response = client.post(
        f"/cases/{case.id}/status", data={"status": "cancelled", "note": "Kunden drog tillbaka"}
    )
    assert response.status_code == 302
    seeded.expire_all()
    assert case.status == CaseStatus.CANCELLED
    assert meeting.status == MeetingStatus.CANCELLED and meeting.slot_id is None


def test_edit_form_adds_a_department_to_a_booked_meeting(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    case = register(client, seeded)
    meeting = book_first(client, seeded, case)
    form = _case_form(
        seeded,
        department_ids=[str(_dept(seeded, "stadsbyggnad").id), str(_dept(seeded, "brandkar").id)],
    )
    form.pop("forum")
    response = client.post(f"/cases/{case.id}/edit", data=form)
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    seeded.expire_all()
    assert meeting.status == MeetingStatus.BOOKED
    assert {a.department.slug for a in meeting.attendees if a.active} == {
        "stadsbyggnad",
        "brandkar",
    }


def test_representative_cannot_book_and_sees_only_shared_details(
    login_as: LoginAs, seeded: Db, client: FlaskClient
) -> None:
    # Only Anna Lind can represent Stadsbyggnad, so she is invited.
    for email in ("erik.holm@moraorsa.example", "sara.nyberg@moraorsa.example"):
        rep = seeded.scalar(select(Representative).where(Representative.email == email))
        assert rep is not None
        rep.active = False
    seeded.commit()
    login_as("coordinator")
    invited = register(client, seeded)
    book_first(client, seeded, invited)
    other = register(
        client,
        seeded,
        org_name="Hemlig AB",
        org_number="",
        department_ids=[str(_dept(seeded, "brandkar").id)],
    )
    client.post("/logout")
    login_as("representative")
    assert client.post(f"/cases/{other.id}/book", data={"slot": "1"}).status_code == 403
    assert client.get(f"/cases/{invited.id}/book").status_code == 403
    assert client.get("/cases/new").status_code == 403
    assert client.get("/cases").status_code == 403
    assert client.get(f"/cases/{other.id}").status_code == 403  # not invited
    text = page_text(client, f"/cases/{invited.id}")
    assert "Siljans Bageri AB" in text and "Nytt bageri med servering." in text
    assert "Greta Kund" not in text and "greta@bageri.example" not in text
    assert "070-123" not in text and "Historik" not in text and "Flytta mötet" not in text
    mine = page_text(client, "/me/meetings")
    assert "tisdag 8 december 2026, v. 50" in mine and "MORA-2026-0001 · Siljans Bageri AB" in mine


def test_viewer_sees_no_personal_data_and_changes_nothing(
    login_as: LoginAs, seeded: Db, client: FlaskClient
) -> None:
    login_as("coordinator")
    secret = register(client, seeded, confidential="y", org_name="Hemlig Etablering AB")
    book_first(client, seeded, secret)
    client.post("/logout")
    login_as("viewer")
    listing = page_text(client, "/cases")
    assert secret.reference in listing and "Hemlig Etablering" not in listing
    assert "Hemlig" not in page_text(client, "/cases?q=Hemlig")
    text = page_text(client, f"/cases/{secret.id}")
    assert "Forum – sekretess" in text
    for private in ("Hemlig Etablering", "Greta Kund", "greta@bageri.example", "Nytt bageri"):
        assert private not in text
    assert "Historik" not in text and "Ställ in mötet" not in text
    overview = page_text(client, "/overview?forum=mora")
    assert f"Forum – sekretess ({secret.reference})" in overview
    meeting = seeded.scalar(select(Meeting).where(Meeting.case_id == secret.id))
    assert meeting is not None
    for url, data in [
        (f"/cases/{secret.id}/meetings/{meeting.id}/cancel", {"reason": "x"}),
        (f"/cases/{secret.id}/meetings/{meeting.id}/reschedule", {"slot": "earliest"}),
        (f"/cases/{secret.id}/status", {"status": "cancelled"}),
        (f"/cases/{secret.id}/edit", {"org_name": "x"}),
        ("/cases/new", _case_form(seeded)),
    ]:
        assert client.post(url, data=data).status_code == 403, url
    seeded.expire_all()
    assert meeting.status == MeetingStatus.BOOKED


def test_record_an_answer_given_by_phone(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    case = register(client, seeded)
    meeting = book_first(client, seeded, case)
    attendee = meeting.attendees[0]
    url = f"/cases/{case.id}/replies"
    response = client.post(url, data={"attendee_id": str(attendee.id), "partstat": "ACCEPTED"})
    assert response.status_code == 422
    assert "Skriv vem som svarade och när." in text_of(response.get_data(as_text=True))
    response = client.post(
        url,
        data={
            "attendee_id": str(attendee.id),
            "partstat": "ACCEPTED",
            "note": "Ringde 10:15, kommer.",
        },
    )
    assert response.status_code == 302
    seeded.expire_all()
    assert attendee.partstat == "ACCEPTED" and attendee.reply_channel == "phone"
    text = page_text(client, f"/cases/{case.id}")
    assert "1/2 svar" in text and "telefon, registrerat av samordnaren" in text
    # An attendee of another meeting cannot be answered for through this case.
    assert (
        client.post(
            url, data={"attendee_id": "999999", "partstat": "ACCEPTED", "note": "x"}
        ).status_code
        == 400
    )


def test_my_meetings_offers_feed_links(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("representative")
    html = client.get("/me/meetings").get_data(as_text=True)
    assert re.search(r'href="webcal://forum\.test/feeds/representatives/[\w-]{40,}\.ics"', html)
    department = re.search(r'value="http://forum\.test(/feeds/departments/[\w-]{40,}\.ics)"', html)
    assert department is not None and "Prenumerera i din kalender" in html
    # The link works: the feed answers with a calendar.
    client.post("/logout")
    feed = client.get(department.group(1))
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"


def test_convener_chosen_once_on_the_proposals_and_changed_on_the_case_page(
    login_as: LoginAs, seeded: Db
) -> None:
    client = login_as("coordinator")
    case = register(client, seeded)
    html = client.get(f"/cases/{case.id}/book").get_data(as_text=True)
    # One choice of convener and minute-taker for the whole page, not one per proposal.
    assert html.count('name="convener_id"') == 2  # the proposals' form and "choose yourself"
    assert html.count('<select id="convener_id"') == 1
    meeting = book_first(client, seeded, case)
    assert meeting.convener_id is None
    page = page_text(client, f"/cases/{case.id}")
    assert "Välj sammankallande: den som är sammankallande leder mötet" in page
    attendee_ids = {a.representative_id for a in meeting.attendees if a.active}
    chair = next(r for r in seeded.scalars(select(Representative)) if r.id in attendee_ids)
    other = next(
        r for r in seeded.scalars(select(Representative)) if r.active and r.id not in attendee_ids
    )
    response = client.post(
        f"/cases/{case.id}/meetings/{meeting.id}/roles",
        data={"convener_id": str(chair.id), "minute_taker_id": str(other.id)},
    )
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    seeded.expire_all()
    assert (meeting.convener_id, meeting.minute_taker_id) == (chair.id, other.id)
    assert other.id in {a.representative_id for a in meeting.attendees if a.active}
    page = page_text(client, f"/cases/{case.id}")
    assert f"Sammankallande: {chair.name}" in page
    assert "Sammankallande eller protokollförare ändrad" in page  # the history line
    # An unknown person is refused with a message, and nothing changes.
    response = client.post(
        f"/cases/{case.id}/meetings/{meeting.id}/roles",
        data={"convener_id": "999999", "minute_taker_id": "0"},
    )
    assert response.status_code in (404, 409, 422)
    seeded.expire_all()
    assert meeting.convener_id == chair.id


def test_a_viewer_cannot_change_the_convener(login_as: LoginAs, seeded: Db) -> None:
    case = register(login_as("coordinator"), seeded)
    meeting = book_first(login_as("coordinator"), seeded, case)
    viewer = login_as("viewer")
    response = viewer.post(
        f"/cases/{case.id}/meetings/{meeting.id}/roles",
        data={"convener_id": "0", "minute_taker_id": "0"},
    )
    assert response.status_code == 403
    assert "Sammankallande och protokollförare</h3>" not in viewer.get(
        f"/cases/{case.id}"
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    ("locale", "answered", "deputy"),
    [
        ("sv", "Tackat nej (kalender)", "tackade nej; {deputy} bjuds in i stället"),
        ("en", "Declined (calendar)", "declined; {deputy} is invited instead"),
    ],
)
def test_history_says_who_answered_what_in_the_readers_language(
    login_as: LoginAs, seeded: Db, clock: FixedClock, locale: str, answered: str, deputy: str
) -> None:
    from booking.services.audit import Actor
    from booking.services.invitations.replies import RsvpPolicy, record_reply

    client = login_as("coordinator")
    case = register(client, seeded)
    meeting = book_first(client, seeded, case)
    attendee = next(a for a in meeting.attendees if a.active and a.required)
    name = attendee.representative.name
    record_reply(
        seeded,
        attendee,
        "DECLINED",
        "caldav",
        clock.now(),
        actor=Actor.system("caldav"),
        policy=RsvpPolicy(deputy_on_decline=True),
    )
    seeded.expire_all()
    stand_in = next(
        a.representative.name
        for a in meeting.attendees
        if a.active and a.department_id == attendee.department_id
    )
    client.post("/language", data={"locale": locale, "next": f"/cases/{case.id}"})
    text = page_text(client, f"/cases/{case.id}")
    history = text.split("Historik" if locale == "sv" else "History")[-1]
    assert f"{name}: {answered}" in history, history
    assert f"{name} {deputy.format(deputy=stand_in)}" in history


def test_the_case_page_costs_the_same_whatever_the_number_of_departments(
    app: Flask, login_as: LoginAs, seeded: Db
) -> None:
    """The convener and minute-taker lists name every active representative with their
    department: read with the departments, not a query per department (a county's case page
    made 126 statements, issue 16: each person's ``department`` was read again once the list
    of departments was no longer held)."""
    meeting = book_directly(seeded)
    client = login_as("coordinator")
    engine = app.extensions["engine"]

    def statements(url: str) -> int:
        count = [0]

        def counted(*_args: object) -> None:
            count[0] += 1

        # The session's identity map holds objects weakly: collect garbage at every chance, as
        # a busy worker does, so that an object the page no longer holds is read again.
        threshold = gc.get_threshold()
        event.listen(engine, "before_cursor_execute", counted)
        gc.set_threshold(1)
        try:
            assert client.get(url).status_code == 200
        finally:
            gc.set_threshold(*threshold)
            event.remove(engine, "before_cursor_execute", counted)
        return count[0]

    page = f"/cases/{meeting.case_id}"
    before = statements(page)
    for n in range(12):
        department = Department(slug=f"extra-{n}", name=f"Extra förvaltning {n}")
        department.representatives = [
            Representative(name=f"Person {n}", email=f"person{n}@kommun.example")
        ]
        seeded.add(department)
    seeded.commit()
    assert "Person 11, Extra förvaltning 11" in page_text(client, page)
    assert statements(page) == before
