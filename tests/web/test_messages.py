"""Service errors reach the web user translated by their reason, never by their wording."""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale, ngettext
from webhelpers import LoginAs

from booking.services.errors import Conflict, Invalid, NotFound
from booking.web.messages import booking_problem, service_message


def test_translated_with_the_values_in_details(app: Flask) -> None:
    with app.test_request_context(), force_locale("sv"):
        taken = Conflict("anything", {"slug": "bygg"}, reason="slug_taken")
        assert service_message(taken) == "En annan förvaltning använder redan kortnamnet bygg."
        foreign = Invalid(
            "reworded later",
            {"department_ids": ["Polisen"], "forum": "Forum Orsa"},
            reason="department_not_in_forum",
        )
        assert "Polisen" in service_message(foreign) and "Forum Orsa" in service_message(foreign)
        assert service_message(NotFound("No case with id 5.")) == (
            "Det finns inte längre. Ladda om sidan."
        )
        point = Invalid(
            "The minutes could not be saved: ...",
            {"action_points[0].title": "required", "action_points[1].owner": "x", "title": "y"},
            reason="point_invalid",
        )
        assert service_message(point) == (
            "Ge varje punkt en rubrik. Ange en ansvarig förvaltning eller person för varje punkt."
        )
        unknown = Invalid("Something new went wrong.", reason="brand_new")
        assert "Something new went wrong." in service_message(unknown)
        assert booking_problem(Conflict("x", reason="slot_taken")).startswith("Någon annan bokade")


def test_booked_message_uses_plural_forms(app: Flask) -> None:
    """Not "Inbjudningar går till 1 representanter"."""
    one = "Booked: %(when)s. Invitations go to %(num)s representative."
    many = "Booked: %(when)s. Invitations go to %(num)s representatives."
    with app.test_request_context(), force_locale("sv"):
        assert ngettext(one, many, 1, when="x") == "Bokat: x. Inbjudningar går till 1 representant."
        assert ngettext(one, many, 2, when="x").endswith("går till 2 representanter.")
    with app.test_request_context(), force_locale("en"):
        assert ngettext(one, many, 1, when="x").endswith("go to 1 representative.")


def test_header_shows_the_role_once(login_as: LoginAs) -> None:
    html = login_as("coordinator").get("/overview").get_data(as_text=True)
    assert 'Karin Sjöberg <span class="role">(samordnare)</span>' in html
    assert html.count("(samordnare)") == 1
