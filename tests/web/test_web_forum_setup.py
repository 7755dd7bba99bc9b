"""The forum setup pages (issue 15): the first-run page, forums, series with a preview, pauses;
bad input gets a clear message and changes nothing."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, book_directly, page_text, text_of

from booking.models import Forum, PausePeriod, SessionSeries, User
from booking.models import Session as ForumSession


def _count(db: Db, model: Any) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


SETUP = {
    "admin_name": "Ingrid IT",
    "admin_email": "it@orsa.example",
    "password": "orsa-forum-2027",
    "forum_name": "Forum Orsa",
    "forum_slug": "orsa",
    "municipality": "Orsa kommun",
}


def test_the_first_run_page_works_once_from_an_empty_database(client: FlaskClient, db: Db) -> None:
    assert "Kom igång med Dörren in" in page_text(client, "/setup")
    refused = client.post("/setup", data={**SETUP, "password": "kort"})
    assert refused.status_code == 422
    assert "Använd minst 10 tecken." in text_of(refused.get_data(as_text=True))
    bad_slug = client.post("/setup", data={**SETUP, "forum_slug": "Orsa!"})
    assert bad_slug.status_code == 422
    assert "Använd 2–64 små bokstäver" in text_of(bad_slug.get_data(as_text=True))
    assert 'value="Forum Orsa"' in refused.get_data(as_text=True)  # nothing typed is lost
    assert _count(db, User) == 0 and _count(db, Forum) == 0
    done = client.post("/setup", data=SETUP)
    assert done.status_code == 302 and done.location.endswith("/login")
    assert _count(db, Forum) == 1 and _count(db, ForumSession) > 0
    assert client.get("/setup").status_code == 404
    login = client.post(
        "/login", data={"email": SETUP["admin_email"], "password": SETUP["password"]}
    )
    assert login.status_code == 302
    assert "Forum Orsa" in page_text(client, "/admin/forums")


def test_only_an_administrator_sets_up_forums(login_as: LoginAs, seeded: Db) -> None:
    assert login_as("coordinator").get("/admin/forums").status_code == 403
    assert login_as("admin").get("/admin/forums").status_code == 200
    assert login_as("admin").get("/setup").status_code == 404  # an administrator exists


def _series_form(**change: str) -> dict[str, str]:
    form = {
        "name": "",
        "weekday": "1",
        "anchor_date": "2026-12-15",
        "every_weeks": "2",
        "start_time": "13:00",
        "end_time": "17:00",
        "meeting_minutes": "60",
        "buffer_minutes": "15",
        "active": "y",
    }
    form.update(change)
    return form


def test_a_new_forum_gets_a_series_after_a_preview_and_bad_input_changes_nothing(
    login_as: LoginAs, seeded: Db
) -> None:
    client = login_as("admin")
    created = client.post(
        "/admin/forums/new",
        data={
            "name": "Forum Älvdalen",
            "slug": "alvdalen",
            "municipality": "Älvdalens kommun",
            "timezone": "Europe/Stockholm",
        },
    )
    assert created.status_code == 302
    forum = seeded.scalar(select(Forum).where(Forum.slug == "alvdalen"))
    assert forum is not None
    url = f"/admin/forums/{forum.id}/series/new"
    series_before = _count(seeded, SessionSeries)
    for change, message in (
        (
            {"anchor_date": "2026-12-16"},
            "Första eftermiddagen måste infalla på den valda veckodagen",
        ),
        ({"end_time": "12:00"}, "Slutet måste komma efter början."),
        ({"meeting_minutes": "300"}, "Ett möte kan inte vara längre än eftermiddagen"),
    ):
        answer = client.post(url, data={**_series_form(**change), "submit": "Spara"})
        assert answer.status_code == 422, change
        assert message in text_of(answer.get_data(as_text=True)), change
    assert _count(seeded, SessionSeries) == series_before
    shown = client.post(url, data={**_series_form(), "preview": "Förhandsgranska"})
    assert shown.status_code == 200
    text = text_of(shown.get_data(as_text=True))
    assert (
        "Förhandsgranskning: de kommande 18 månaderna" in text and "Inget är sparat ännu." in text
    )
    assert "hoppas över" in text  # a holiday or the like, with its reason
    assert _count(seeded, SessionSeries) == series_before
    saved = client.post(url, data={**_series_form(), "submit": "Spara"})
    assert saved.status_code == 302
    assert _count(seeded, SessionSeries) == series_before + 1
    assert seeded.scalar(
        select(func.count()).select_from(ForumSession).where(ForumSession.forum_id == forum.id)
    )


def test_pauses_overlapping_or_backwards_are_refused_with_a_message(
    login_as: LoginAs, seeded: Db
) -> None:
    client = login_as("admin")
    series = seeded.scalars(select(SessionSeries).order_by(SessionSeries.id)).first()
    assert series is not None
    before = _count(seeded, PausePeriod)
    overlap = client.post(
        f"/admin/series/{series.id}/pauses",
        data={"reason": "extra", "start_date": "2027-07-01", "end_date": "2027-07-10"},
    )
    assert overlap.status_code == 422
    assert "Uppehållet överlappar sommaruppehåll" in text_of(overlap.get_data(as_text=True))
    backwards = client.post(
        f"/admin/series/{series.id}/pauses",
        data={"reason": "bakvänt", "start_date": "2027-05-10", "end_date": "2027-05-01"},
    )
    assert backwards.status_code == 422
    assert "Slutet måste komma efter början." in text_of(backwards.get_data(as_text=True))
    assert _count(seeded, PausePeriod) == before
    added = client.post(
        f"/admin/series/{series.id}/pauses",
        data={
            "reason": "kommunval",
            "start_date": "2027-05-10",
            "end_date": "2027-05-12",
            "yearly": "y",
        },
    )
    assert added.status_code == 302 and _count(seeded, PausePeriod) == before + 1


def test_a_series_change_over_a_booked_afternoon_names_it(login_as: LoginAs, seeded: Db) -> None:
    meeting = book_directly(seeded)
    series = seeded.scalars(select(SessionSeries).order_by(SessionSeries.id)).first()
    assert series is not None
    client = login_as("admin")
    moved = client.post(
        f"/admin/series/{series.id}",
        data={**_series_form(weekday="2", anchor_date="2026-12-09"), "submit": "Spara"},
        follow_redirects=True,
    )
    text = text_of(moved.get_data(as_text=True))
    assert "Dessa eftermiddagar har möten och lämnades som de var" in text
    assert meeting.starts_at.date().isoformat() in text


def test_every_page_links_the_accessibility_statement(
    client: FlaskClient, login_as: LoginAs, seeded: Db
) -> None:
    """Issue 15: the statement required by the law on accessibility of digital public service,
    linked from every public page (login, RSVP, survey, customer page) and every staff page."""
    from datetime import timedelta

    from booking.services.followup.surveys import create_survey
    from booking.services.invitations.links import customer_link, rsvp_link

    statement = page_text(client, "/tillganglighet")
    for part in (
        "Tillgänglighetsredogörelse för Dörren in",
        "Digg",
        "WCAG 2.1",
        "Tillsyn",
        "Senaste bedömningen gjordes 2026-12-05",
    ):
        assert part in statement, part
    meeting = book_directly(seeded)
    now = meeting.starts_at - timedelta(days=3)
    settings = client.application.config["SETTINGS"]
    attendee = meeting.attendees[0]
    invitations = client.application.extensions["policies"].invitations
    rsvp = rsvp_link(attendee, invitations).removeprefix(invitations.base_url)
    customer = customer_link(seeded, meeting.case, base_url="", secret_key=settings.secret_key)
    policy = client.application.extensions["policies"].followup
    _survey, token = create_survey(seeded, meeting.case, now, policy, meeting_id=meeting.id)
    seeded.commit()
    public = ["/login", rsvp, customer, f"/s/{token}", "/tillganglighet"]
    for url in public:
        html = client.get(url).get_data(as_text=True)
        assert 'href="/tillganglighet"' in html, url
    staff = login_as("coordinator")
    for url in ("/overview", f"/cases/{meeting.case_id}", "/me/todo"):
        assert 'href="/tillganglighet"' in staff.get(url).get_data(as_text=True), url
