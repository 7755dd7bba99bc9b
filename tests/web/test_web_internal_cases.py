"""The case form for Forum internt (issue 14 §5): no organisation number, no customer; a
business case still names its organisation; messages in Swedish, nothing typed lost."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, page_text, text_of

from booking.domain.visibility import ConsentScope
from booking.domain.vocabulary import CaseCategory
from booking.models import Case, Department


def _dept_id(db: Db, slug: str) -> str:
    department = db.scalar(select(Department).where(Department.slug == slug))
    assert department is not None
    return str(department.id)


def _internal_form(db: Db, **change: object) -> dict[str, object]:
    data: dict[str, object] = {
        "forum": "mora",
        "org_name": "Terminsplanering",
        "category": "internal",
        "description": "Hur vi tar emot ärenden som rör två kommuner.",
        "department_ids": [_dept_id(db, "stadsbyggnad"), _dept_id(db, "miljokontoret")],
    }
    data.update(change)
    return data


def test_an_internal_case_is_registered_without_customer_and_proposed(
    login_as: LoginAs, seeded: Db
) -> None:
    client = login_as("coordinator")
    form = page_text(client, "/cases/new")
    assert "Forum internt (forumets eget ärende, ingen kund)" in form
    response = client.post("/cases/new", data=_internal_form(seeded))
    assert response.status_code == 302, text_of(response.get_data(as_text=True))
    case = seeded.scalars(select(Case)).one()
    assert case.category == CaseCategory.INTERNAL and case.org_name == "Terminsplanering"
    assert (case.org_number, case.contact_email) == ("", "")
    assert case.consent_scope == ConsentScope.EXTERNAL  # nobody's data to hold back
    assert "Forum internt: ingen kund, delas med alla deltagare" in page_text(
        client, f"/cases/{case.id}"
    )
    # Bookable like any case: the proposals page offers times with representatives.
    text = page_text(client, f"/cases/{case.id}/book")
    assert "Föreslagna tider för MORA-2026-0001" in text
    assert "tisdag 8 december 2026, v. 50, 13:00–14:00" in text


def test_an_internal_case_needs_a_title(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    response = client.post("/cases/new", data=_internal_form(seeded, org_name=""))
    assert response.status_code == 422
    text = text_of(response.get_data(as_text=True))
    assert "Ge det interna ärendet en kort rubrik." in text
    assert "Hur vi tar emot ärenden som rör två kommuner." in text  # kept
    assert seeded.scalar(select(Case)) is None


def test_customer_fields_on_an_internal_case_are_refused_and_kept(
    login_as: LoginAs, seeded: Db
) -> None:
    client = login_as("coordinator")
    response = client.post(
        "/cases/new",
        data=_internal_form(seeded, org_number="556036-0793", contact_email="greta@bageri.example"),
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # Each field's message, in the summary at the top and at the field.
    assert text_of(html).count("Ett ärende Forum internt har ingen kund: lämna fältet tomt.") == 4
    # What was typed is still there to correct.
    assert 'value="556036-0793"' in html and 'value="greta@bageri.example"' in html
    assert seeded.scalar(select(Case)) is None


def test_a_business_case_still_needs_its_organisation(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    response = client.post("/cases/new", data=_internal_form(seeded, category="event", org_name=""))
    assert response.status_code == 422
    assert "Ange företagets eller organisationens namn." in text_of(response.get_data(as_text=True))
    assert seeded.scalar(select(Case)) is None


def test_the_statistics_page_shows_internal_cases_apart(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    assert client.post("/cases/new", data=_internal_form(seeded)).status_code == 302
    text = page_text(client, "/statistics")
    assert "Ärenden Forum internt (räknas inte ovan) 1" in text
    assert "Nya ärenden (varav avbrutna) 0 (0)" in text
