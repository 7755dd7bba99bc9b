"""One forum afternoon from booking to statistics, in a real browser against real servers
(issue 13, "Done means"): Chromium drives the web app; invitations go to a multi-user Xandikos
(RFC 6638), answers come back from the representatives' own calendars and from the web, the
worker is run by hand so that it can be "stopped" between a move and a cancellation, and mail
lands in an aiosmtpd sink from which the survey link is taken.

book → answers in the calendar and on the web → deputy → move → cancel with the worker stopped
in between → book again → minutes → approval → follow-up → survey → statistics.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from caldav_servers import SmtpSink, XandikosServer, plain_text
from icalendar import Calendar
from invitation_data import make_worker
from sqlalchemy import select
from werkzeug.serving import make_server

from booking.app import create_app
from booking.clock import FixedClock
from booking.domain.nki import NKI_QUESTIONS
from booking.migrate import upgrade
from booking.models import Meeting, Representative
from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
from config import Settings

CHROMIUM = Path("/usr/bin/chromium")
# Monday 30 November 2026, 09:00 in Stockholm, as in tests/conftest.py.
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
ORGANIZER = "forum@mora.example"
CUSTOMER = "greta@bageri.example"

pytestmark = [pytest.mark.slow, pytest.mark.external]  # Chromium, Xandikos, a provider


@dataclass
class Afternoon:
    url: str
    app: Any
    clock: FixedClock
    calendar: XandikosServer
    mail: SmtpSink
    worker: Any
    users: dict[str, str]  # e-mail → CalDAV user

    def run_worker(self) -> None:
        report = self.worker.tick(self.clock.now(), force=True)
        assert report.errors == [], report.errors

    def answer_in_calendar(self, email: str, accept: bool) -> None:
        """The representative answers in their own calendar program (schedule inbox)."""
        with self.calendar.client(self.users[email]) as client:
            principal = client.get_principal()
            calendar = principal.get_calendars()[0]
            for item in principal.schedule_inbox().get_items():
                if item.is_invite_request():
                    if accept:
                        item.accept_invite(calendar=calendar)
                    else:
                        item.decline_invite(calendar=calendar)
                    item.delete()
                    return
        raise AssertionError(f"{email} has no invitation to answer")

    def calendar_copies(self, email: str) -> list[Any]:
        with self.calendar.client(self.users[email]) as client:
            calendar = client.get_principal().get_calendars()[0]
            return [
                next(iter(Calendar.from_ical(o.data).walk("VEVENT"))) for o in calendar.events()
            ]

    def mails_to(self, address: str) -> list[str]:
        return [plain_text(m) for m in self.mail.to(address)]


@pytest.fixture
def afternoon(tmp_path: Path) -> Iterator[Afternoon]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `make web-test-deps` (make test does).")
    calendar = XandikosServer(tmp_path / "xandikos")
    calendar.start()
    mail = SmtpSink()
    mail.start()
    settings = replace(
        Settings(),
        env="test",
        database_url=f"sqlite:///{tmp_path / 'afternoon.sqlite3'}",
        secret_key="afternoon-test-secret",
        public_base_url="http://forum.test",
        caldav_url=calendar.url,
        caldav_username="forum",
        caldav_remote_user_header=True,
        smtp_host="127.0.0.1",
        smtp_port=mail.port,
    )
    upgrade(settings.database_url)
    clock = FixedClock(START)
    app = create_app(settings, clock=clock)
    users = {}
    with app.app_context():
        db = app.extensions["session_factory"]()
        assert seed_demo(db, clock.now().date(), 6)
        calendar.add_user("forum", ORGANIZER)
        for rep in db.scalars(select(Representative)):
            users[rep.email] = rep.email.split("@")[0]
            calendar.add_user(users[rep.email], rep.email)
            # Anna Lind alone represents Stadsbyggnad, Oskar Falk (deputy Nils Åberg) Miljö.
            if rep.email in ("erik.holm@moraorsa.example", "elin.strand@moraorsa.example"):
                rep.active = False
        db.commit()
        db.close()
    worker = make_worker(app, mail.port, caldav_url=calendar.url, caldav_user="forum")
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Afternoon(
            f"http://127.0.0.1:{httpd.server_port}", app, clock, calendar, mail, worker, users
        )
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        worker.close()  # type: ignore[attr-defined]
        app.extensions["engine"].dispose()
        mail.stop()
        calendar.stop()


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = chromium.new_context(
            viewport={"width": 1280, "height": 900}, locale="sv-SE", timezone_id="Europe/Stockholm"
        )
        yield context.new_page()
        chromium.close()


def _login(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#submit")
    page.wait_for_load_state()


def _logout(page: Any) -> None:
    page.click("text=Logga ut")


def _book(page: Any) -> None:
    """On the proposals page: Anna chairs, Oskar keeps the minutes, the earliest time."""
    for field, name in (("#convener_id", "Anna Lind, "), ("#minute_taker_id", "Oskar Falk, ")):
        option = page.locator(f"{field} option", has_text=name).first
        page.select_option(field, option.get_attribute("value"))
    page.locator("ol.proposals > li").first.get_by_role("button").click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))


def _meeting(afternoon: Afternoon) -> Meeting:
    with afternoon.app.app_context():
        db = afternoon.app.extensions["session_factory"]()
        meeting = db.scalars(select(Meeting).order_by(Meeting.id.desc())).first()
        assert meeting is not None
        db.expunge(meeting)
        db.close()
        return meeting


def test_one_forum_afternoon_from_booking_to_statistics(afternoon: Afternoon, page: Any) -> None:
    base, anna, oskar, nils = (
        afternoon.url,
        DEMO_LOGINS["representative"],
        "oskar.falk@moraorsa.example",
        "nils.aberg@moraorsa.example",
    )
    coordinator = DEMO_LOGINS["coordinator"]

    # The coordinator registers the case and books it, choosing convener and minute-taker once.
    _login(page, base, coordinator)
    page.goto(f"{base}/cases/new")
    page.select_option("#forum", "mora")
    page.fill("#org_name", "Siljans Bageri AB")
    page.fill("#org_number", "556036-0793")
    page.fill("#contact_name", "Greta Kund")
    page.fill("#contact_email", CUSTOMER)
    page.check("input[name=category][value=new_establishment]")
    page.fill("#description", "Nytt bageri med servering i centrala Mora.")
    page.get_by_label("Stadsbyggnadsförvaltningen Mora Orsa", exact=False).check()
    page.get_by_label("Miljökontoret Mora Orsa", exact=False).check()
    page.check("#consent_to_share")
    page.get_by_role("button", name="Spara och visa föreslagna tider").click()
    page.wait_for_url(re.compile(r".*/cases/\d+/book$"))
    _book(page)
    case_url = page.url
    afternoon.run_worker()

    # Invitations are in the calendars: Anna chairs (ROLE=CHAIR), Oskar keeps the minutes.
    (copy,) = afternoon.calendar_copies(anna) or [None]
    roles = {str(a).lower(): str(a.params["ROLE"]) for a in copy["ATTENDEE"]}
    assert roles[f"mailto:{anna}"] == "CHAIR"
    assert "Protokollförare / Minute-taker: Oskar Falk" in str(copy["DESCRIPTION"])
    assert f"{base}/me/meetings" not in str(copy["DESCRIPTION"])  # the configured base URL
    assert "http://forum.test/me/meetings" in str(copy["DESCRIPTION"])

    # Oskar declines in his calendar: his deputy Nils is invited; the page says who and what.
    afternoon.answer_in_calendar(oskar, accept=False)
    afternoon.run_worker()
    page.goto(case_url)
    history = page.locator("section[aria-labelledby=history-h]").inner_text()
    assert "Oskar Falk: Tackat nej (kalender)" in history
    assert "Oskar Falk tackade nej; Nils Åberg bjuds in i stället" in history
    afternoon.run_worker()
    afternoon.answer_in_calendar(nils, accept=True)
    afternoon.run_worker()
    _logout(page)

    # Anna answers on the web, from her to-do list.
    _login(page, base, anna)
    page.goto(f"{base}/me/todo")
    assert "Inbjudningar att svara på (1)" in page.inner_text("main")
    page.get_by_role("button", name="Tacka ja").click()
    assert "Ditt svar är registrerat" in page.inner_text("main")
    _logout(page)

    # Every department has accepted: the coordinator sees it confirmed, then moves the meeting
    # and cancels it while the worker is stopped.
    _login(page, base, coordinator)
    page.goto(case_url)
    assert "2/2 svar" in page.inner_text("main")
    options = page.locator("#slot option")
    page.select_option("#slot", options.nth(1).get_attribute("value"))
    page.get_by_role("button", name="Flytta mötet").click()
    page.wait_for_url(case_url)
    page.fill("#reason", "Kunden har förhinder")
    page.get_by_role("button", name="Ställ in mötet").click()
    page.wait_for_url(case_url)
    afternoon.run_worker()  # the worker comes back: move and cancel, in one go
    for email in (anna, nils):
        statuses = {str(e.get("STATUS")) for e in afternoon.calendar_copies(email)}
        assert statuses == {"CANCELLED"}, (email, statuses)
    assert any("är inställt" in text for text in afternoon.mails_to(CUSTOMER))

    # Booked again; everyone answers; the meeting takes place.
    page.click("text=Visa föreslagna tider och boka")
    _book(page)
    afternoon.run_worker()
    afternoon.answer_in_calendar(oskar, accept=True)
    afternoon.run_worker()
    _logout(page)
    _login(page, base, anna)
    page.goto(f"{base}/me/todo")
    page.get_by_role("button", name="Tacka ja").click()
    _logout(page)
    meeting = _meeting(afternoon)
    afternoon.clock.set(meeting.ends_at + timedelta(hours=1))
    afternoon.run_worker()

    # The coordinator writes the minutes and asks the convener to approve them.
    _login(page, base, coordinator)
    page.goto(f"{base}/meetings/{meeting.id}/minutes")
    page.get_by_role("button", name="Börja skriva protokoll").click()
    page.fill("#decisions", "Kunden skickar in bygglovsansökan.")
    page.fill("#ap_title_0", "Skicka checklista för bygglov")
    page.fill("#ap_email_0", anna)
    page.fill("#ap_due_0", (meeting.starts_at + timedelta(days=14)).date().isoformat())
    page.get_by_role("button", name="Spara utkast").click()
    # Refused (no one responsible named): a message, and nothing typed is lost.
    assert "Ange en ansvarig förvaltning eller person" in page.inner_text("main")
    assert page.input_value("#decisions") == "Kunden skickar in bygglovsansökan."
    assert page.input_value("#ap_title_0") == "Skicka checklista för bygglov"
    page.fill("#ap_owner_0", "Anna Lind")
    page.get_by_role("button", name="Spara utkast").click()
    assert "Utkastet är sparat" in page.inner_text("main"), page.inner_text("main")[:2000]
    page.get_by_role("button", name="Be sammankallande justera").click()
    assert "Sammankallande har fått en begäran" in page.inner_text("main")
    _logout(page)
    afternoon.run_worker()
    assert any(f"/meetings/{meeting.id}/minutes" in t for t in afternoon.mails_to(anna))

    # Anna finds it on her list and approves; the minutes go out; the follow-up point is hers.
    _login(page, base, anna)
    page.goto(f"{base}/me/todo")
    assert "Protokoll att justera (1)" in page.inner_text("main")
    page.locator("section[aria-labelledby=todo-approve-h] a").first.click()
    page.get_by_role("button", name="Justera och skicka").click()
    afternoon.run_worker()
    assert any("Kunden skickar in bygglovsansökan." in t for t in afternoon.mails_to(CUSTOMER)), (
        page.inner_text("main")[:1500],
        afternoon.mails_to(CUSTOMER)[-1][:1500],
    )
    page.goto(f"{base}/me/todo")
    assert "Skicka checklista för bygglov" in page.inner_text("main")
    page.get_by_role("button", name=re.compile("Markera som klar")).click()
    _logout(page)

    # The survey goes out after the meeting; the customer answers it without logging in.
    afternoon.clock.set(meeting.ends_at + timedelta(days=4))
    afternoon.run_worker()
    survey_mail = next(t for t in afternoon.mails_to(CUSTOMER) if "/s/" in t)
    link = re.search(r"http://forum\.test(/s/\S+)", survey_mail)
    assert link is not None
    page.goto(base + link.group(1))
    for name in NKI_QUESTIONS:
        page.check(f"input[name={name}][value='6']")
    page.get_by_role("button", name="Skicka svar / Send").click()
    assert "Tack" in page.inner_text("body")

    # The term statistics count the case and its answer.
    _login(page, base, coordinator)
    page.goto(f"{base}/statistics")
    text = page.inner_text("main")
    assert "Svarsfrekvens" in text or "svarsfrekvens" in text
    assert re.search(r"\b1 av 1\b|100 %", text), text[:2000]
