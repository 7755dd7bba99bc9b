"""A municipality starts from an empty database, in a real browser (issue 15, "Done means"):
the first-run page → the administrator signs in → Forum Orsa's series is changed after a
preview, a yearly pause added, bad input refused → a department, a coordinator and a
representative → the coordinator books a case in the new forum → hands out the department's
feed link from the page, and the link serves the meeting."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from booking.app import create_app
from booking.clock import FixedClock
from booking.migrate import upgrade
from config import Settings

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
START = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # Monday 30 November 2026, 09:00
PASSWORD = "orsa-forum-2027"

pytestmark = pytest.mark.slow


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[str]:
    if not CHROMIUM.exists() or not AXE.exists():
        pytest.fail("Chromium or axe-core is missing: run `make web-test-deps` (make test does).")
    settings = replace(
        Settings(),
        env="test",
        database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        secret_key="empty-database-secret",
        public_base_url="http://forum.test",
    )
    upgrade(settings.database_url)
    app = create_app(settings, clock=FixedClock(START))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)
    app.extensions["engine"].dispose()


@pytest.fixture
def page() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = chromium.new_context(
            viewport={"width": 1280, "height": 900},
            locale="sv-SE",
            timezone_id="Europe/Stockholm",
            bypass_csp=True,  # axe is injected as an inline script
        )
        yield context.new_page()
        chromium.close()


def _axe_serious(page: Any) -> list[Any]:
    page.add_script_tag(content=AXE.read_text())
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations
            .filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)"""
    )
    return list(found)


def _login(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_load_state()


def _submit(page: Any, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def test_a_municipality_starts_from_an_empty_database(empty_server: str, page: Any) -> None:
    base = empty_server
    # The first run.
    page.goto(f"{base}/setup")
    assert _axe_serious(page) == []
    page.fill("#admin_name", "Ingrid IT")
    page.fill("#admin_email", "it@orsa.example")
    page.fill("#password", PASSWORD)
    page.fill("#forum_name", "Forum Orsa")
    page.fill("#forum_slug", "orsa")
    page.fill("#municipality", "Orsa kommun")
    _submit(page, "Starta tjänsten")
    assert page.url.endswith("/login")
    assert page.goto(f"{base}/setup").status == 404
    _login(page, base, "it@orsa.example")

    # The forum's series: a mistake is refused, the preview shows 18 months, then it is saved.
    page.goto(f"{base}/admin/forums")
    page.locator("section", has_text="Forum Orsa").locator("a", has_text="Forum Orsa").first.click()
    page.fill("#anchor_date", "2026-12-09")  # a Wednesday, with Tuesday chosen
    _submit(page, "Spara")
    assert "Första eftermiddagen måste infalla på den valda veckodagen" in page.inner_text("main")
    page.fill("#anchor_date", "2026-12-08")
    page.fill("#end_time", "16:30")
    _submit(page, "Förhandsgranska")
    preview = page.inner_text("main")
    assert "Förhandsgranskning: de kommande 18 månaderna" in preview
    assert "tisdag 8 december 2026" in preview and "Inget är sparat ännu." in preview
    _submit(page, "Spara")
    assert "Serien är sparad" in page.inner_text("main")

    # A yearly Christmas pause; an overlapping one is refused.
    page.fill("#reason", "jul")
    page.fill("#start_date", "2026-12-23")
    page.fill("#end_date", "2027-01-06")
    page.check("#yearly")
    _submit(page, "Lägg till uppehållet")
    assert "Uppehållet är tillagt" in page.inner_text("main")
    page.fill("#reason", "nyår")
    page.fill("#start_date", "2027-12-30")
    page.fill("#end_date", "2028-01-02")
    _submit(page, "Lägg till uppehållet")
    assert "Uppehållet överlappar jul" in page.inner_text("main")

    # A department of Forum Orsa, a coordinator and a representative with a login.
    page.goto(f"{base}/admin/departments/new")
    page.fill("#name", "Miljö och bygg Orsa")
    page.fill("#slug", "miljo-bygg-orsa")
    page.get_by_label("Forum Orsa").check()
    _submit(page, "Spara")
    for name, email, role in (
        ("Karin Samordnare", "karin@orsa.example", "coordinator"),
        ("Olle Representant", "olle@orsa.example", "representative"),
    ):
        page.goto(f"{base}/admin/users/new")
        page.fill("#name", name)
        page.fill("#email", email)
        page.select_option("#role", role)
        page.fill("#password", PASSWORD)
        _submit(page, "Spara")
    page.goto(f"{base}/admin/representatives/new")
    page.fill("#name", "Olle Representant")
    page.fill("#email", "olle@orsa.example")
    page.select_option("#department_id", label="Miljö och bygg Orsa")
    option = page.locator("#user_id option", has_text="olle@orsa.example").first
    page.select_option("#user_id", option.get_attribute("value"))
    _submit(page, "Spara")
    assert "Olle Representant" in page.goto(f"{base}/admin/departments").text()
    page.click("text=Logga ut")

    # The coordinator books a case in the new forum and hands out the department's feed link.
    _login(page, base, "karin@orsa.example")
    page.goto(f"{base}/cases/new")
    page.select_option("#forum", "orsa")
    page.fill("#org_name", "Orsa Camping AB")
    page.fill("#org_number", "556036-0793")
    page.fill("#contact_name", "Per Kund")
    page.fill("#contact_email", "per@camping.example")
    page.check("input[name=category][value=event]")
    page.fill("#description", "Sommarfestival vid Orsasjön.")
    page.get_by_label("Miljö och bygg Orsa", exact=False).check()
    page.check("#consent_to_share")
    _submit(page, "Spara och visa föreslagna tider")
    page.locator("ol.proposals > li").first.get_by_role("button").click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert "Olle Representant" in page.inner_text("main")
    page.goto(f"{base}/admin/feeds")
    page.locator("tr", has_text="Miljö och bygg Orsa").get_by_role("button").first.click()
    page.wait_for_load_state()
    link = page.input_value("#feed-https")
    assert link.startswith("http://forum.test/feeds/departments/")
    assert page.locator("figure.qr svg").count() == 1
    assert _axe_serious(page) == []
    feed = page.request.get(base + link.removeprefix("http://forum.test"))
    assert feed.status == 200 and "Orsa Camping AB" not in feed.text()  # no consent to externals
    assert "BEGIN:VEVENT" in feed.text() and "Forum Orsa" in feed.text()
