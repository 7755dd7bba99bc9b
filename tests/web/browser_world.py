"""The browser world of the walk-through tests: the web app on a local port, a multi-user
Xandikos (RFC 6638) for the invitations, an aiosmtpd sink for the mail, a worker run by hand,
a fixed clock, and headless Chromium (tests/web/test_afternoon_browser.py,
tests/web/test_door_browser.py)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
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
from booking.migrate import upgrade
from booking.models import Meeting, Representative
from booking.services.demo import DEMO_PASSWORD, seed_demo
from config import Settings

CHROMIUM = Path("/usr/bin/chromium")
# Monday 30 November 2026, 09:00 in Stockholm, as in tests/conftest.py.
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
ORGANIZER = "forum@mora.example"
CUSTOMER = "greta@bageri.example"


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


def login(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#submit")
    page.wait_for_load_state()


def logout(page: Any) -> None:
    page.click("text=Logga ut")


def book_earliest(page: Any) -> None:
    """On the proposals page: Anna chairs, Oskar keeps the minutes, the earliest time."""
    for field, name in (("#convener_id", "Anna Lind, "), ("#minute_taker_id", "Oskar Falk, ")):
        option = page.locator(f"{field} option", has_text=name).first
        page.select_option(field, option.get_attribute("value"))
    page.locator("ol.proposals > li").first.get_by_role("button").click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))


def last_meeting(afternoon: Afternoon) -> Meeting:
    with afternoon.app.app_context():
        db = afternoon.app.extensions["session_factory"]()
        meeting = db.scalars(select(Meeting).order_by(Meeting.id.desc())).first()
        assert meeting is not None
        db.expunge(meeting)
        db.close()
        return meeting
