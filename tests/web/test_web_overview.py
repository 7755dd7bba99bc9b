"""The overview of coming forum afternoons: Swedish dates, 24-hour times, skipped Tuesdays,
bookings with their reply status, and what each role may see of a case."""

from __future__ import annotations

from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, book_directly, page_text

from booking.domain.vocabulary import PartStat


def test_sessions_with_swedish_dates_times_and_skipped_reasons(login_as: LoginAs) -> None:
    client = login_as("coordinator")
    text = page_text(client, "/overview?forum=mora&from=2026-12-01&weeks=8")
    assert "tisdag 8 december 2026, v. 50" in text
    assert "13:00–14:00" in text and "14:15–15:15" in text and "15:30–16:30" in text
    assert "Ledig" in text
    # Forum Mora skips 5 January 2027 (trettondagsafton, a half day), with the reason shown.
    text = page_text(client, "/overview?forum=mora&from=2027-01-01&weeks=2")
    assert "tisdag 5 januari 2027, v. 1" in text and "Inget forum: trettondagsafton" in text
    # Daylight saving: still 13:00 local after the clocks change.
    text = page_text(client, "/overview?forum=mora&from=2027-03-29&weeks=2")
    assert "tisdag 30 mars 2027, v. 13" in text and "13:00–14:00" in text


def test_booked_slot_shows_case_and_replies(login_as: LoginAs, seeded: Db) -> None:
    meeting = book_directly(seeded)
    client = login_as("coordinator")
    text = page_text(client, "/overview?forum=mora")
    assert "Bokad F-2026-0001 · Siljans Bageri AB" in text
    assert "4/5 svar" in text
    assert meeting.case_id is not None


def test_declines_are_shown_beside_the_count(login_as: LoginAs, seeded: Db) -> None:
    book_directly(seeded, answers=(PartStat.ACCEPTED, PartStat.DECLINED, PartStat.NEEDS_ACTION))
    text = page_text(login_as("coordinator"), "/overview?forum=mora")
    assert "2/3 svar" in text and "1 tackade nej" in text


def test_confidential_case_is_only_a_reference_to_a_viewer(login_as: LoginAs, seeded: Db) -> None:
    book_directly(seeded, confidential=True)
    viewer_text = page_text(login_as("viewer"), "/overview?forum=mora")
    assert "Forum – sekretess (F-2026-0001)" in viewer_text
    assert "Siljans Bageri" not in viewer_text


def test_unshared_case_is_only_a_reference_to_a_representative(
    login_as: LoginAs, seeded: Db
) -> None:
    book_directly(seeded, consent=False)
    text = page_text(login_as("representative"), "/overview?forum=mora")
    assert "F-2026-0001" in text and "Siljans Bageri" not in text


def test_bad_query_parameters_are_a_400_page_not_a_500(login_as: LoginAs) -> None:
    client = login_as("coordinator")
    page_text(client, "/overview?from=31-12-2026", status=400)
    page_text(client, "/overview?weeks=many", status=400)
    page_text(client, "/overview?forum=nowhere", status=404)
    assert "Forumeftermiddagar" in page_text(client, "/overview?weeks=999")


def test_english_dates(login_as: LoginAs) -> None:
    client = login_as("coordinator")
    client.post("/language", data={"locale": "en"})
    text = page_text(client, "/overview?forum=mora&from=2027-01-01&weeks=2")
    assert "Tuesday 5 January 2027, week 1" in text and "No forum: trettondagsafton" in text
