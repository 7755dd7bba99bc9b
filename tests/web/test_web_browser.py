"""The coordinator's day in a real browser (Debian's Chromium driven by Playwright), with
axe-core on every page and screenshots for the README.

The app runs in a thread (werkzeug's make_server) on a free 127.0.0.1 port against a seeded
SQLite file, with CSRF protection on, exactly as a browser meets it. `make test` installs
Chromium (apt) and axe-core (npm ci in tests/web/axe) first.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from booking.app import create_app
from booking.clock import FixedClock
from booking.migrate import upgrade
from booking.models import Case, Meeting, Representative, Slot
from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
from booking.services.invitations.links import customer_link
from config import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "web" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
REPORT = ROOT / "var" / "axe-results.json"
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Monday 30 November 2026, 09:00 in Stockholm, as in tests/conftest.py.
DEFAULT_NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@dataclass
class Server:
    url: str
    app: Flask


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not CHROMIUM.exists() or not AXE.exists():
        pytest.fail("Chromium or axe-core is missing: run `make web-test-deps` (make test does).")
    path = tmp_path_factory.mktemp("browser") / "browser.sqlite3"
    settings = replace(
        Settings(),
        env="test",
        database_url=f"sqlite:///{path}",
        secret_key="browser-test-secret",
        public_base_url="http://forum.test",
    )
    upgrade(settings.database_url)
    clock = FixedClock(DEFAULT_NOW)
    app = create_app(settings, clock=clock)
    with app.app_context():
        db = app.extensions["session_factory"]()
        assert seed_demo(db, clock.now().date(), 12)
        # Only Anna Lind can represent Stadsbyggnad, so she is the one invited below.
        for rep in db.scalars(select(Representative)):
            if rep.email in ("erik.holm@moraorsa.example", "sara.nyberg@moraorsa.example"):
                rep.active = False
        db.commit()
        db.close()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Server(f"http://127.0.0.1:{httpd.server_port}", app)
    httpd.shutdown()
    thread.join(timeout=10)
    app.extensions["engine"].dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _context(browser: object, *, bypass_csp: bool = False) -> object:
    return browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1280, "height": 900},
        locale="sv-SE",
        timezone_id="Europe/Stockholm",
        bypass_csp=bypass_csp,
    )


def _login(page: object, base: str, role: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.fill("#email", DEMO_LOGINS[role])  # type: ignore[attr-defined]
    page.fill("#password", DEMO_PASSWORD)  # type: ignore[attr-defined]
    page.click("#submit")  # type: ignore[attr-defined]


def _logout(page: object) -> None:
    page.click("text=Logga ut")  # type: ignore[attr-defined]


def _shot(page: object, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]


def test_coordinator_day_in_the_browser(server: Server, browser: object) -> None:
    context = _context(browser)
    page = context.new_page()  # type: ignore[attr-defined]
    csp_errors: list[str] = []
    page.on(
        "console",
        lambda msg: csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    base = server.url

    page.goto(f"{base}/login")
    _shot(page, "login")
    _login(page, base, "coordinator")
    page.wait_for_url(f"{base}/overview")
    assert page.locator("h1").inner_text() == "Forumeftermiddagar"
    assert page.get_by_text("tisdag 8 december 2026, v. 50").count() >= 1

    # Register a case.
    page.click("text=Registrera ett nytt ärende")
    page.select_option("#forum", "mora")
    page.fill("#org_name", "Siljans Bageri AB")
    page.fill("#org_number", "556036-0793")
    page.fill("#contact_name", "Greta Kund")
    page.fill("#contact_email", "greta@bageri.example")
    page.check("input[name=category][value=new_establishment]")
    page.fill("#description", "Nytt bageri med servering i centrala Mora.")
    page.get_by_label("Stadsbyggnadsförvaltningen Mora Orsa", exact=False).check()
    page.get_by_label("Miljökontoret Mora Orsa", exact=False).check()
    page.check("#consent_to_share")
    _shot(page, "case-new")
    page.get_by_role("button", name="Spara och visa föreslagna tider").click()
    page.wait_for_url(re.compile(r".*/cases/\d+/book$"))
    assert "Föreslagna tider för MORA-2026-0001" in page.locator("h1").inner_text()
    _shot(page, "proposals")

    # Book the first proposal.
    page.locator("ol.proposals > li").first.get_by_role("button").click()
    page.wait_for_url(re.compile(r".*/cases/\d+$"))
    assert "Bokat: tisdag 8 december 2026, v. 50 13:00–14:00" in page.content()
    assert page.get_by_text("0/2 svar").count() == 1
    case_url = page.url
    _shot(page, "case")

    # See it on the overview.
    page.goto(f"{base}/overview?forum=mora")
    assert page.get_by_text("MORA-2026-0001 · Siljans Bageri AB").count() == 1
    _shot(page, "overview")

    # Reschedule to the first other time offered.
    page.goto(case_url)
    options = page.locator("#slot option")
    page.select_option("#slot", options.nth(1).get_attribute("value"))
    page.get_by_role("button", name="Flytta mötet").click()
    page.wait_for_url(case_url)
    assert "Mötet är flyttat till tisdag 8 december 2026, v. 50 14:15–15:15" in page.content()

    # Cancel with a reason.
    page.fill("#reason", "Kunden har förhinder")
    page.get_by_role("button", name="Ställ in mötet").click()
    page.wait_for_url(case_url)
    assert "Mötet är inställt." in page.content()
    assert page.get_by_text("Inställd (Kunden har förhinder)").count() == 1

    # Book again so the representative has a meeting, then log in as her.
    page.click("text=Visa föreslagna tider och boka")
    page.locator("ol.proposals > li").first.get_by_role("button").click()
    page.wait_for_url(case_url)
    _logout(page)
    _login(page, base, "representative")
    page.wait_for_url(f"{base}/me/meetings")
    rows = page.locator("tbody tr")
    assert rows.count() == 2  # the cancelled meeting stays listed as cancelled
    texts = sorted(rows.nth(i).inner_text() for i in range(2))
    assert all("MORA-2026-0001 · Siljans Bageri AB" in t for t in texts)
    assert any("13:00–14:00" in t and "Inte svarat än" in t for t in texts)
    assert any("14:15–15:15" in t and "Inställd" in t for t in texts)
    _shot(page, "my-meetings")
    # A representative cannot book.
    response = page.goto(f"{base}/cases/new")
    assert response is not None and response.status == 403
    assert csp_errors == []
    context.close()  # type: ignore[attr-defined]


def test_keyboard_skip_link_and_visible_focus(server: Server, browser: object) -> None:
    context = _context(browser)
    page = context.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server.url}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    # Keyboard alone logs in: the form is reachable and submits with Enter.
    page.focus("#email")
    page.keyboard.type(DEMO_LOGINS["coordinator"])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/overview(#main)?$"))
    context.close()  # type: ignore[attr-defined]


def test_an_internal_case_hides_the_customer_fields(server: Server, browser: object) -> None:
    """Forum internt has no customer: choosing it hides the organisation number, the contact
    and the consent (web.js), choosing a business category shows them again, and the case is
    saved without them."""
    context = _context(browser)
    page = context.new_page()  # type: ignore[attr-defined]
    _login(page, server.url, "coordinator")
    page.goto(f"{server.url}/cases/new")
    customer = ("#org_number", "#contact_name", "#contact_email", "#consent_to_share")
    assert all(page.is_visible(field) for field in customer)
    page.check("input[name=category][value=internal]")
    assert not any(page.is_visible(field) for field in customer)
    assert page.is_visible("#org_name")  # the matter's title
    page.check("input[name=category][value=event]")
    assert all(page.is_visible(field) for field in customer)
    page.check("input[name=category][value=internal]")
    page.fill("#org_name", "Rutiner för uppföljning")
    page.fill("#description", "Forumet går igenom hur uppföljningen fungerar.")
    page.get_by_label("Stadsbyggnadsförvaltningen Mora Orsa", exact=False).check()
    page.get_by_role("button", name="Spara och visa föreslagna tider").click()
    page.wait_for_url(re.compile(r".*/cases/\d+/book$"))
    context.close()  # type: ignore[attr-defined]


PAGES_BY_ROLE = {
    "coordinator": [
        "/overview",
        "/cases",
        "/cases/new",
        "/cases/1",
        "/admin/sessions",
        "/admin/departments",
        "/admin/representatives/1",
        "/no-such-page",
        # the follow-through pages (issue 7) share the layout
        "/statistics",
        "/followup/overdue",
        "/cases/1/followup",
        "/admin/feeds",
        # the door in (issue 14)
        "/intake",
        "/intake/new",
        "/intake/mine",
    ],
    "admin": [
        "/admin/users",
        "/admin/users/new",
        "/admin/departments/new",
        "/admin/departments/1",
        "/admin/representatives/new",
        "/admin/forums",
        "/admin/forums/1",
        "/admin/series/1",
        "/admin/forums/1/series/new",
        "/admin/audit",
        "/admin/routing",
        "/admin/forums/1/guides",
    ],
    "representative": ["/me/meetings", "/me/todo", "/admin/sessions"],
    "viewer": ["/overview", "/cases"],
    "receiver": ["/intake/mine", "/intake/new"],
}


SCREENSHOT_OF = {
    ("coordinator", "/admin/sessions"): "admin-sessions",
    ("coordinator", "/admin/departments"): "admin-departments",
    ("coordinator", "/cases"): "cases",
    ("admin", "/admin/users"): "admin-users",
}


# Content that spills out of its box: the page scrolling sideways, or a card, a value, a table
# cell or a label wider than its box without a scroll bar of its own (a .table-wrap scrolls).
OVERFLOW_JS = """() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) {
    found.push(`the page is ${root.scrollWidth}px wide in a ${root.clientWidth}px window`);
    // Name the outermost elements that stick out, so the message says what to fix.
    for (const el of document.querySelectorAll('body *')) {
      const right = el.getBoundingClientRect().right;
      const parentRight = el.parentElement.getBoundingClientRect().right;
      if (right > root.clientWidth + 1 && parentRight <= root.clientWidth + 1) {
        found.push(`sticks out to ${Math.round(right)}px: `
          + `<${el.tagName.toLowerCase()} class="${el.className}">`
          + ` ${el.textContent.trim().slice(0, 40)}`);
      }
    }
  }
  const boxes = 'main .card, main dd, main td, main th, main label';
  for (const el of document.querySelectorAll(boxes)) {
    const style = getComputedStyle(el);
    if (['auto', 'scroll'].includes(style.overflowX)) continue;
    if (el.closest('.table-wrap') && el.matches('td, th')) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      found.push(`${el.tagName.toLowerCase()}.${el.className}: `
        + `${el.scrollWidth} > ${el.clientWidth}: ${el.textContent.trim().slice(0, 40)}`);
    }
  }
  for (const wrap of document.querySelectorAll('main .table-wrap')) {
    if (getComputedStyle(wrap).overflowX === 'hidden' && wrap.scrollWidth > wrap.clientWidth + 1) {
      found.push(`a table is cut off: ${wrap.scrollWidth} > ${wrap.clientWidth}`);
    }
  }
  return found;
}"""


def _axe(page: object) -> list[dict[str, object]]:
    page.add_script_tag(content=AXE.read_text())  # type: ignore[attr-defined]
    result = page.evaluate(  # type: ignore[attr-defined]
        """async () => {
            const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({
              id: v.id, impact: v.impact,
              nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)
            }));
        }"""
    )
    return list(result)


def _booked_case_pages(server: Server) -> tuple[str, str]:
    """The agenda of the afternoon case 1 is booked into (by the day above) and the case's
    page for the business, with its guide, documents and upload form."""
    with server.app.app_context():
        db = server.app.extensions["session_factory"]()
        case = db.get(Case, 1)
        assert case is not None
        session_id = db.scalar(
            select(Slot.session_id)
            .join(Meeting, Meeting.slot_id == Slot.id)
            .where(Meeting.case_id == case.id)
        )
        customer = customer_link(db, case, base_url="", secret_key="browser-test-secret")
        db.commit()
        db.close()
    return f"/sessions/{session_id}/dagordning", customer


def test_axe_finds_no_serious_violation_on_any_page(server: Server, browser: object) -> None:
    # Runs after the day above, so /cases/1 is a booked case with attendees and every form.
    agenda, customer = _booked_case_pages(server)
    test_pages = {role: list(urls) for role, urls in PAGES_BY_ROLE.items()}
    test_pages["coordinator"].append(agenda)
    test_pages["representative"].append(agenda)
    # axe is injected as an inline script: this context alone bypasses the CSP to allow it.
    context = _context(browser, bypass_csp=True)
    page = context.new_page()  # type: ignore[attr-defined]
    problems: dict[str, list[dict[str, object]]] = {}
    spilled: dict[str, list[str]] = {}
    for public in ("/login", "/tillganglighet", "/forum/mora/boka", customer):
        page.goto(server.url + public)
        problems[public] = _axe(page)
        spilled.update(_spills(page, public))
    for role, urls in test_pages.items():
        _login(page, server.url, role)
        for url in urls:
            page.goto(server.url + url)
            if (role, url) in SCREENSHOT_OF:
                _shot(page, SCREENSHOT_OF[(role, url)])
            problems[f"{role} {url}"] = _axe(page)
            spilled.update(_spills(page, f"{role} {url}"))
        _logout(page)
    # Every finding, minor ones too, for the record (the closing note reports them).
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(problems, indent=1, ensure_ascii=False))
    serious = {
        where: [v for v in found if v["impact"] in ("serious", "critical")]
        for where, found in problems.items()
    }
    serious = {k: v for k, v in serious.items() if v}
    assert not serious, json.dumps(serious, indent=1, ensure_ascii=False)
    assert not spilled, json.dumps(spilled, indent=1, ensure_ascii=False)
    context.close()  # type: ignore[attr-defined]


def _spills(page: object, where: str) -> dict[str, list[str]]:
    """What spills out of its box on this page at desktop and at phone width (issue 13:
    values overflowing their card at 1280 px, a clipped statistics table, /admin/sessions
    scrolling sideways at 390 px)."""
    found: dict[str, list[str]] = {}
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})  # type: ignore[attr-defined]
        spilled = page.evaluate(OVERFLOW_JS)  # type: ignore[attr-defined]
        if spilled:
            found[f"{where} at {width} px"] = spilled
    page.set_viewport_size({"width": 1280, "height": 900})  # type: ignore[attr-defined]
    return found


@pytest.fixture
def sso_server(tmp_path: Path) -> Iterator[tuple[Server, object]]:
    """The app with single sign-on on, in a thread, beside a real OpenID Connect provider
    (tests/oidc_provider.py). Its clock starts at the real time: the provider's tokens are
    stamped with it."""
    import time

    from oidc_provider import CLIENT_ID, CLIENT_SECRET, start_provider

    from booking.domain.vocabulary import Role, SsoMatch
    from booking.services import audit
    from booking.services.access import sso_rules

    holder: dict[str, Flask] = {}
    httpd = make_server(
        "127.0.0.1", 0, lambda env, respond: holder["app"](env, respond), threaded=True
    )
    base = f"http://127.0.0.1:{httpd.server_port}"
    provider = start_provider(tmp_path, [f"{base}/login/oidc/callback"], [f"{base}/login"])
    settings = replace(
        Settings(),
        env="test",
        database_url=f"sqlite:///{tmp_path / 'sso.sqlite3'}",
        secret_key="browser-test-secret",
        public_base_url=base,
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_scopes="openid email profile groups",
    )
    upgrade(settings.database_url)
    clock = FixedClock(datetime.fromtimestamp(int(time.time()), UTC))
    app = holder["app"] = create_app(settings, clock=clock)
    with app.app_context():
        db = app.extensions["session_factory"]()
        sso_rules.add_rule(
            db,
            SsoMatch.GROUP,
            "dorren-in-admins",
            Role.ADMIN,
            actor=audit.Actor.system("test"),
            now=clock.now(),
        )
        db.close()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield Server(base, app), provider
    httpd.shutdown()
    thread.join(timeout=10)
    provider.stop()
    app.extensions["engine"].dispose()


def test_sign_in_with_the_municipality_account(
    sso_server: tuple[Server, object], browser: object
) -> None:
    """Issue 15 §3: "Logga in med kommunens konto", the provider's own login page, back as an
    administrator (group rule); logging out ends the provider's session too."""
    server, provider = sso_server
    context = _context(browser, bypass_csp=True)
    page = context.new_page()  # type: ignore[attr-defined]
    page.goto(f"{server.url}/login")
    serious = [v for v in _axe(page) if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    page.click("text=Logga in med kommunens konto")
    assert page.url.startswith(provider.url)  # type: ignore[attr-defined]
    page.fill("#login", "anna")
    page.fill("#password", "test-password")
    page.click("#sign-in")
    page.wait_for_url(re.compile(re.escape(server.url) + r"/overview"))
    assert page.locator("text=Användare").count() >= 1  # the administrator's menu
    page.goto(f"{server.url}/admin/sso")
    assert "dorren-in-admins" in page.content()
    serious = [v for v in _axe(page) if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    _logout(page)
    assert page.url.startswith(provider.url)  # type: ignore[attr-defined]  # end_session
    page.click("button[name=logout][value=yes]")
    page.wait_for_url(f"{server.url}/login")
    assert "Du är utloggad" in page.content()
    # The provider's session is over: the next sign-in asks for the password again.
    page.click("text=Logga in med kommunens konto")
    page.wait_for_selector("#login")
    context.close()  # type: ignore[attr-defined]
