"""The follow-through pages through the Flask test client: minutes, timeline, statistics, survey."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from followup_world import World, make_case, make_world
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseStatus, MeetingStatus, MinutesStatus, PartStat
from booking.models import FollowUpPoint, Minutes, OutboxMessage, SurveyAnswer
from booking.services.followup import surveys
from booking.services.followup.policy import FollowupPolicy
from config import Settings

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db)


def login(client: FlaskClient, world: World, who: str) -> None:
    with client.session_transaction() as session:
        session["user_id"] = world.users[who].id


def _held(db: Session, world: World):  # type: ignore[no-untyped-def]
    return make_case(
        db, world, received_at=NOW - timedelta(days=20), meeting_at=NOW - timedelta(days=1)
    )


def _in_follow_up(db: Session, world: World):  # type: ignore[no-untyped-def]
    """A case whose meeting was held nine days ago, now being followed up."""
    return make_case(
        db,
        world,
        received_at=NOW - timedelta(days=20),
        meeting_at=NOW - timedelta(days=9),
        status=CaseStatus.FOLLOW_UP,
        meeting_status=MeetingStatus.HELD,
    )


def test_minutes_written_approved_and_printed_in_the_browser(
    client: FlaskClient, db: Session, world: World
) -> None:
    case = _held(db, world)
    meeting = case.meetings[0]
    bygg = world.departments["bygg"]
    login(client, world, "taker")
    page = client.get(f"/meetings/{meeting.id}/minutes")
    assert page.status_code == 200 and "Börja skriva protokoll" in page.text
    assert client.post(f"/meetings/{meeting.id}/minutes/start").status_code == 302
    minutes = db.scalars(select(Minutes)).one()
    form = {
        f"present_{world.reps['bygg'].id}": "on",
        "customer_present": "Kim Kund",
        f"statement_{bygg.id}": "Bygglov krävs.",
        "decisions": "Ansökan lämnas in.",
        "ap_title_0": "Skicka checklista",
        "ap_due_0": "2026-12-10",
        "ap_dep_0": str(bygg.id),
    }
    assert client.post(f"/minutes/{minutes.id}", data=form).status_code == 302
    bad = client.post(
        f"/minutes/{minutes.id}",
        data={"ap_title_0": "X", "ap_due_0": "10/12"},
        follow_redirects=True,
    )
    assert "Åtgärd 1 (X) behöver ett sista datum som ÅÅÅÅ-MM-DD." in bad.text
    # The minute-taker may not approve; the convener may.
    assert client.post(f"/minutes/{minutes.id}/approve").status_code == 403
    login(client, world, "convener")
    page = client.get(f"/meetings/{meeting.id}/minutes")
    assert "Justera och skicka" in page.text
    assert client.post(f"/minutes/{minutes.id}/approve").status_code == 302
    db.expire_all()
    assert db.get(Minutes, minutes.id).status == MinutesStatus.APPROVED  # type: ignore[union-attr]
    assert db.scalars(select(FollowUpPoint)).one().title == "Skicka checklista"
    printed = client.get(f"/minutes/{minutes.id}/print")
    assert printed.status_code == 200
    assert "followup-print.css" in printed.text and "Bygglov krävs." in printed.text
    assert "<nav" not in printed.text
    # Someone outside the meeting sees nothing.
    login(client, world, "viewer")
    assert client.get(f"/meetings/{meeting.id}/minutes").status_code == 403


def _main(text: str) -> str:
    """The page's <main>: the header's language menu names English in English on every page."""
    return text.split("<main", 1)[1].split("</main>", 1)[0]


def test_followup_pages_are_swedish_by_default_and_english_when_chosen(
    client: FlaskClient, db: Session, world: World
) -> None:
    case = _held(db, world)
    meeting = case.meetings[0]
    login(client, world, "coordinator")
    timeline = client.get(f"/cases/{case.id}/followup").text
    minutes = client.get(f"/meetings/{meeting.id}/minutes").text
    assert '<html lang="sv">' in timeline and '<html lang="sv">' in minutes
    assert "<title>Tidsplan " in timeline
    assert "Tidsplan och återkoppling" in timeline and "Lägg till punkt" in timeline
    assert "Ansvarig förvaltning" in timeline and "Visas för företaget" in timeline
    assert "Mötesprotokoll" in minutes and "Börja skriva protokoll" in minutes
    assert "Försenade åtgärder" in timeline and "Statistik" in timeline  # the menu
    for text in (timeline, minutes):  # no English beside the Swedish any more
        assert 'lang="en"' not in _main(text) and 'lang="sv"' not in _main(text)
        assert "Timeline" not in text and "Add a point" not in text
        assert "Start the minutes" not in text and "Overdue" not in text
    added = client.post(
        f"/cases/{case.id}/followup/points",
        data={"title": "Platsbesök", "due_date": "2026-12-15", "owner_name": "Rep Bygg"},
        follow_redirects=True,
    )
    assert "Punkten är tillagd." in added.text and "Öppen" in added.text

    client.post("/language", data={"locale": "en", "next": f"/cases/{case.id}/followup"})
    timeline = client.get(f"/cases/{case.id}/followup").text
    minutes = client.get(f"/meetings/{meeting.id}/minutes").text
    assert '<html lang="en">' in timeline and '<html lang="en">' in minutes
    assert "Follow-up timeline" in timeline and "Add a point" in timeline
    assert "Department responsible" in timeline and "Shown to the business" in timeline
    assert "Open" in timeline and "Overdue action points" in timeline
    assert "Start the minutes" in minutes and "<title>Minutes " in minutes
    # Dates in the page's language too (issue 13: minutes dates stayed Swedish in English).
    for text in (timeline, minutes):
        assert re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)", _main(text))
        assert not re.search(r"\b(mån|tis|ons|tor|fre|lör|sön)\b|dag \d", _main(text))
    for text in (timeline, minutes):
        assert "Tidsplan" not in _main(text) and "Lägg till" not in _main(text)
        assert "Börja skriva" not in _main(text) and "Försenade" not in text
    added = client.post(
        f"/cases/{case.id}/followup/points",
        data={"title": "Ring kunden", "due_date": "2026-12-16", "owner_name": "Rep Bygg"},
        follow_redirects=True,
    )
    assert "The point is added." in added.text
    statistics = client.get("/statistics?term=2027-spring").text
    assert "Statistics – Spring 2027" in statistics and "Reply rate per department" in statistics
    assert "Våren" not in statistics and "förvaltning" not in statistics


def test_timeline_and_overdue_list(client: FlaskClient, db: Session, world: World) -> None:
    case = _in_follow_up(db, world)
    login(client, world, "representative")
    assert client.get(f"/cases/{case.id}/followup").status_code == 403
    login(client, world, "coordinator")
    data = {
        "title": "Svara om detaljplan",
        "due_date": "2026-11-27",
        "owner_department_id": str(world.departments["bygg"].id),
        "visible_to_customer": "on",
    }
    assert client.post(f"/cases/{case.id}/followup/points", data=data).status_code == 302
    page = client.get(f"/cases/{case.id}/followup")
    assert "Svara om detaljplan" in page.text and "Försenad" in page.text
    overdue = client.get("/followup/overdue")
    assert case.reference in overdue.text
    point = db.scalars(select(FollowUpPoint)).one()
    client.post(f"/followup/points/{point.id}/done", data={"back": "/followup/overdue"})
    assert case.reference not in client.get("/followup/overdue").text
    db.expire_all()
    assert db.get(type(case), case.id).status == CaseStatus.CLOSED  # type: ignore[union-attr]


def test_statistics_page_csv_and_roles(client: FlaskClient, db: Session, world: World) -> None:
    make_case(
        db,
        world,
        received_at=datetime(2027, 2, 1, 9, tzinfo=UTC),
        meeting_at=datetime(2027, 2, 16, 12, tzinfo=UTC),
        meeting_status=MeetingStatus.HELD,
        partstats={"naring": PartStat.DECLINED},
    )
    login(client, world, "representative")
    assert client.get("/statistics?term=2027-spring").status_code == 403
    login(client, world, "viewer")
    page = client.get("/statistics?term=2027-spring")
    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') == 5 and page.text.count("<desc") == 5
    assert page.text.count('class="data-table"') >= 5
    assert "Våren 2027" in page.text and "http://" not in page.text.split("<main", 1)[1].replace(
        "http://www.w3.org/2000/svg", ""
    )
    assert "Svarsfrekvens (svar / skickade enkäter)" in page.text  # beside NKI
    assert client.get("/statistics?term=2027-summer").status_code == 400
    # The default download is the Swedish Excel form: BOM, semicolons, decimal comma.
    csv_response = client.get("/statistics.csv?term=2027-spring")
    assert csv_response.mimetype == "text/csv"
    lines = csv_response.text.splitlines()
    assert lines[0] == "\ufeffTermin;Avsnitt;Nyckel;Mått;Värde"
    assert "Våren 2027;Förvaltning;naring;svarsandel (%);100,0" in lines
    assert "statistik-2027-spring.csv" in csv_response.headers["Content-Disposition"]
    # The machine-readable form stays available.
    csv_en = client.get("/statistics.csv?term=2027-spring&format=csv-en")
    assert "2027-spring,department,naring,reply_rate,100.0" in csv_en.text


def test_statistics_api(client: FlaskClient, db: Session, world: World) -> None:
    assert client.get("/api/v1/statistics?term=2027-spring").status_code == 401
    login(client, world, "viewer")
    response = client.get("/api/v1/statistics?term=2027-spring")
    assert response.status_code == 200
    body = response.get_json()
    assert body["term"] == "2027-spring" and body["cases"]["total"] == 0
    assert body["nki"]["overall"]["suppressed"] is True
    assert body["nki"]["surveys_sent"] == 0 and body["nki"]["response_rate"] is None
    bad = client.get("/api/v1/statistics?term=spring-2027")
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "bad_parameter"
    assert "2027-spring" in bad.get_json()["error"]["message"]


def test_survey_page_answer_once(
    app: Flask, client: FlaskClient, db: Session, world: World
) -> None:
    make_case(
        db,
        world,
        received_at=NOW - timedelta(days=30),
        meeting_at=NOW - timedelta(days=4),
        status=CaseStatus.FOLLOW_UP,
        meeting_status=MeetingStatus.HELD,
    )
    settings = FollowupPolicy.from_settings(
        replace(Settings(), public_base_url="http://forum.test")
    )
    assert surveys.send_due_surveys(db, now=NOW, settings=settings) == 1
    text = db.scalars(select(OutboxMessage)).one().payload["text"]
    token = re.search(r"/s/([A-Za-z0-9_-]+)", text).group(1)  # type: ignore[union-attr]
    assert client.get("/s/nonsense").status_code == 404
    form = client.get(f"/s/{token}")
    assert form.status_code == 200 and form.text.count('type="radio"') == 9 * 7
    bad = client.post(f"/s/{token}", data={"q_overall": "9"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    # The customer cannot choose a language: the page says what to fix in both.
    assert "Välj ett av alternativen" in bad.text and "Choose one of the options" in bad.text
    empty = client.post(f"/s/{token}", data={})
    assert "Ge ett betyg på minst en av de tre första frågorna" in empty.text
    assert "Give a grade to at least one of the first three questions" in empty.text
    answers = {
        "q_overall": "5",
        "q_expectations": "4",
        "q_ideal": "",
        "bemotande": "6",
        "comment": "Bra",
    }
    done = client.post(f"/s/{token}", data=answers)
    assert done.status_code == 200 and "Tack för dina svar" in done.text
    stored = db.scalars(select(SurveyAnswer)).one()
    assert (stored.q_overall, stored.q_ideal, stored.bemotande) == (5, None, 6)
    assert client.post(f"/s/{token}", data=answers).status_code == 409
    assert "redan besvarad" in client.get(f"/s/{token}").text


def test_followup_api(client: FlaskClient, db: Session, world: World) -> None:
    case = _in_follow_up(db, world)
    login(client, world, "viewer")
    assert client.get(f"/api/v1/cases/{case.id}/followup").status_code == 403
    login(client, world, "coordinator")
    body = {"title": "Platsbesök", "due_date": "2026-11-27", "owner_name": "Rep Bygg"}
    created = client.post(f"/api/v1/cases/{case.id}/followup", json=body)
    assert created.status_code == 201 and created.get_json()["status"] == "overdue"
    bad = client.post(f"/api/v1/cases/{case.id}/followup", json={"title": "", "due_date": "x"})
    assert bad.status_code == 422 and bad.get_json()["error"]["details"] == {"due_date": "x"}
    overdue = client.get("/api/v1/followup/overdue").get_json()
    assert [p["case_reference"] for p in overdue["points"]] == [case.reference]
    point_id = created.get_json()["id"]
    done = client.post(f"/api/v1/followup/{point_id}/done")
    assert done.get_json()["status"] == "done"
    listing = client.get(f"/api/v1/cases/{case.id}/followup").get_json()
    assert listing["case"]["status"] == "closed"


def test_customer_case_page_shows_meetings_and_the_shared_timeline(
    client: FlaskClient, db: Session, world: World
) -> None:
    from booking.services.invitations import links as invitations

    case = make_case(
        db,
        world,
        received_at=NOW - timedelta(days=20),
        meeting_at=NOW - timedelta(days=2),
        status=CaseStatus.FOLLOW_UP,
        meeting_status=MeetingStatus.HELD,
    )
    db.add_all(
        [
            FollowUpPoint(
                case_id=case.id,
                title="Bygglovsbeslut",
                due_date=NOW.date(),
                owner_name="Bygg",
                status="open",
            ),
            FollowUpPoint(
                case_id=case.id,
                title="Intern avstämning",
                due_date=NOW.date(),
                owner_name="Näringsliv",
                visible_to_customer=False,
            ),
        ]
    )
    link = invitations.customer_link(
        db, case, base_url="http://forum.test", secret_key="test-secret"
    )
    db.commit()
    path = link.removeprefix("http://forum.test")
    page = client.get(path)
    assert page.status_code == 200
    assert case.reference in page.text and case.org_name in page.text
    assert "Bygglovsbeslut" in page.text and "Intern avstämning" not in page.text
    assert "Siljan" in page.text
    assert client.get("/c/not-a-token").status_code == 404
    case.anonymised_at = NOW
    db.commit()
    assert client.get(path).status_code == 404


def test_customer_link_is_stable_until_rotated(db: Session) -> None:
    """Confirmation, reschedule and minutes mails all carry the same working link."""
    from booking.services.invitations import links as invitations

    world = make_world(db)
    at = datetime(2026, 12, 8, 12, tzinfo=UTC)
    case = make_case(db, world, received_at=at - timedelta(days=10), meeting_at=at)
    first = invitations.customer_link(db, case, base_url="http://f.test", secret_key="k1")
    again = invitations.customer_link(db, case, base_url="http://f.test", secret_key="k1")
    assert first == again
    token = first.rsplit("/", 1)[1]
    assert invitations.case_by_customer_token(db, token) is case
    rotated = invitations.customer_link(
        db,
        case,
        base_url="http://f.test",
        secret_key="k1",
        rotate_at=datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert rotated != first
    assert invitations.case_by_customer_token(db, token) is None
    assert invitations.case_by_customer_token(db, rotated.rsplit("/", 1)[1]) is case
    changed_key = invitations.customer_link(db, case, base_url="http://f.test", secret_key="k2")
    assert changed_key != rotated  # a new SECRET_KEY revokes the links


def test_an_empty_point_gets_the_services_message_not_the_browsers(
    client: FlaskClient, db: Session, world: World
) -> None:
    case = _in_follow_up(db, world)
    login(client, world, "coordinator")
    page = client.get(f"/cases/{case.id}/followup").text
    assert re.search(r'<form method="post" novalidate action="[^"]*/followup/points"', page)
    refused = client.post(f"/cases/{case.id}/followup/points", data={}, follow_redirects=True)
    assert refused.status_code in (200, 422)
    assert "Punkten är tillagd." not in refused.text
    assert "Please fill out" not in refused.text
    flashed = re.search(r'<p class="flash flash--\w+">(.*?)</p>', refused.text, re.S)
    assert flashed is not None, refused.text[:500]
    assert "Rätta" in flashed.group(1) or "Ange" in flashed.group(1), flashed.group(1)
    assert db.scalars(select(FollowUpPoint).where(FollowUpPoint.case_id == case.id)).all() == []


def test_the_case_page_links_only_to_what_the_reader_may_open(
    client: FlaskClient, db: Session, world: World
) -> None:
    case = _in_follow_up(db, world)
    meeting = case.meetings[0]
    minutes_href = f'href="/meetings/{meeting.id}/minutes"'
    timeline_href = f'href="/cases/{case.id}/followup"'
    login(client, world, "coordinator")
    page = client.get(f"/cases/{case.id}").text
    assert minutes_href in page and timeline_href in page
    assert client.get(f"/meetings/{meeting.id}/minutes").status_code == 200
    login(client, world, "viewer")  # management reads the case, not its minutes
    page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200
    assert minutes_href not in page.text and timeline_href not in page.text
    assert client.get(f"/meetings/{meeting.id}/minutes").status_code == 403
