"""A municipality starts from an empty database, in a real browser (issue 15, "Done means"):
the first-run page → the administrator signs in with the municipality's account (OpenID
Connect, a real provider started by the test) → Forum Orsa's series is changed after a
preview, a yearly pause added, bad input refused → a department, a coordinator and a
representative → the coordinator books a case in the new forum → hands out the department's
feed link from the page, and the link serves the meeting."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from werkzeug.serving import make_server

from booking.app import create_app
from booking.clock import FixedClock
from booking.migrate import upgrade
from config import Settings

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "orsa-forum-2027"

pytestmark = [pytest.mark.slow, pytest.mark.external]  # Chromium, Xandikos, a provider


@dataclass
class Installation:
    url: str
    provider: Any
    today: date


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[Installation]:
    """An empty database behind the app, single sign-on configured against a real provider.
    The clock is the real time (the provider stamps its tokens with it), so every date below
    is counted from today."""
    if not CHROMIUM.exists() or not AXE.exists():
        pytest.fail("Chromium or axe-core is missing: run `make web-test-deps` (make test does).")
    from oidc_provider import CLIENT_ID, CLIENT_SECRET, start_provider

    holder: dict[str, Any] = {}
    httpd = make_server(
        "127.0.0.1", 0, lambda env, respond: holder["app"](env, respond), threaded=True
    )
    base = f"http://127.0.0.1:{httpd.server_port}"
    provider = start_provider(tmp_path, [f"{base}/login/oidc/callback"], [f"{base}/login"])
    settings = replace(
        Settings(),
        env="test",
        database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        secret_key="empty-database-secret",
        public_base_url=base,  # the redirect URI registered with the provider
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_scopes="openid email profile groups",
    )
    upgrade(settings.database_url)
    clock = FixedClock(datetime.fromtimestamp(int(time.time()), UTC))
    app = holder["app"] = create_app(settings, clock=clock)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Installation(base, provider, clock.now().date())
    httpd.shutdown()
    thread.join(timeout=10)
    provider.stop()
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


def test_a_municipality_starts_from_an_empty_database(
    empty_server: Installation, page: Any
) -> None:
    base, today = empty_server.url, empty_server.today
    # Tuesdays counted from today: the series' first afternoon, and a Wednesday by mistake.
    anchor = today + timedelta(days=(1 - today.weekday()) % 7 + 7)
    jul = date(today.year, 12, 23)

    # The first run: the administrator is the municipality account anna.admin@mora.se.
    page.goto(f"{base}/setup")
    assert _axe_serious(page) == []
    page.fill("#admin_name", "Anna Admin")
    page.fill("#admin_email", "anna.admin@mora.se")
    page.fill("#password", PASSWORD)
    page.fill("#forum_name", "Forum Orsa")
    page.fill("#forum_slug", "orsa")
    page.fill("#municipality", "Orsa kommun")
    _submit(page, "Starta tjänsten")
    assert page.url.endswith("/login")
    assert page.goto(f"{base}/setup").status == 404

    # She signs in with the municipality's account (OpenID Connect) and stays administrator.
    page.goto(f"{base}/login")
    page.click("text=Logga in med kommunens konto")
    assert page.url.startswith(empty_server.provider.url)
    page.fill("#login", "anna")
    page.fill("#password", "test-password")
    page.click("#sign-in")
    page.wait_for_url(re.compile(re.escape(base) + r"/overview"))
    assert page.locator("nav >> text=Forum").count() >= 1  # the administrator's menu

    # The forum's series: a mistake is refused, the preview shows 18 months, then it is saved.
    page.goto(f"{base}/admin/forums")
    page.locator("section", has_text="Forum Orsa").locator("a", has_text="Forum Orsa").first.click()
    page.fill("#anchor_date", (anchor + timedelta(days=1)).isoformat())  # a Wednesday
    _submit(page, "Spara")
    assert "Första eftermiddagen måste infalla på den valda veckodagen" in page.inner_text("main")
    page.fill("#anchor_date", anchor.isoformat())
    page.fill("#end_time", "16:30")
    _submit(page, "Förhandsgranska")
    preview = page.inner_text("main")
    assert "Förhandsgranskning: de kommande 18 månaderna" in preview
    assert format_date(anchor, "EEEE d MMMM y", locale="sv") in preview
    assert "Inget är sparat ännu." in preview
    _submit(page, "Spara")
    assert "Serien är sparad" in page.inner_text("main")

    # A yearly Christmas pause; an overlapping one is refused.
    page.fill("#reason", "jul")
    page.fill("#start_date", jul.isoformat())
    page.fill("#end_date", date(jul.year + 1, 1, 6).isoformat())
    page.check("#yearly")
    _submit(page, "Lägg till uppehållet")
    assert "Uppehållet är tillagt" in page.inner_text("main")
    page.fill("#reason", "nyår")
    page.fill("#start_date", date(jul.year + 1, 12, 30).isoformat())
    page.fill("#end_date", date(jul.year + 2, 1, 2).isoformat())
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
    if page.url.startswith(empty_server.provider.url):  # RP-initiated logout at the provider
        page.click("button[name=logout][value=yes]")
        page.wait_for_url(f"{base}/login")

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
    assert link.startswith(f"{base}/feeds/departments/")
    assert page.locator("figure.qr svg").count() == 1
    assert _axe_serious(page) == []
    feed = page.request.get(link)
    assert feed.status == 200 and "Orsa Camping AB" not in feed.text()  # no consent to externals
    assert "BEGIN:VEVENT" in feed.text() and "Forum Orsa" in feed.text()
