"""The door in (issue 14, "Done means"), walked in a real browser against real servers: a
business requests a meeting on the public form on a phone-sized screen, confirms it from the
mail, and the coordinator triages it with the suggested departments and books it; the agenda
mail goes out, the business uploads a drawing that the agenda links, and the meeting happens
(minutes approved, the decisions on the business's page); and a representative passes a
contact on and follows what became of it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from browser_world import (
    Afternoon,
    afternoon,
    book_earliest,
    last_meeting,
    login,
    logout,
    page,
)

from booking.services.demo import DEMO_LOGINS

__all__ = ["afternoon", "page"]  # the fixtures, used by name

pytestmark = [pytest.mark.slow, pytest.mark.external]  # Chromium, Xandikos, aiosmtpd

BUSINESS = "lisa@krog.example"
ANNA = DEMO_LOGINS["representative"]  # Stadsbyggnad; chairs the meetings book_earliest books
# A drawing as a phone uploads it: a PDF by its first bytes.
DRAWING = {"name": "ritning kök.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 plan"}


def _link(afternoon: Afternoon, address: str, pattern: str) -> str:
    """The path of the newest link matching ``pattern`` in the mail to ``address``."""
    for text in reversed(afternoon.mails_to(address)):
        found = re.search(rf"http://forum\.test({pattern}\S*)", text)
        if found:
            return found.group(1)
    raise AssertionError(f"no {pattern} link in the mail to {address}")


def _fill_request(page: Any) -> None:
    page.check("input[name=category][value=new_establishment]")
    page.fill("#description", "Restaurang med uteservering och fullständiga rättigheter.")
    page.fill("#place", "Kyrkogatan 3, Mora")
    page.fill("#org_name", "Siljans Krog AB")
    page.fill("#org_number", "556036-0793")
    page.fill("#contact_name", "Lisa Krögare")
    page.fill("#contact_email", BUSINESS)
    for question in ("food", "alcohol", "fire", "building"):
        page.check(f"input[name=questions][value={question}]")


def test_a_business_asks_for_a_meeting_and_gets_one(afternoon: Afternoon, page: Any) -> None:
    base = afternoon.url
    # On a phone: the form, a wrong organisation number refused with nothing lost, then sent.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/forum/mora/boka")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _fill_request(page)
    page.fill("#org_number", "556036-0794")
    page.check("#consent")
    page.get_by_role("button", name="Skicka förfrågan").click()
    assert "kontrollsiffra" in page.inner_text("main") or "check digit" in page.inner_text("main")
    assert page.input_value("#description").startswith("Restaurang med uteservering")
    page.fill("#org_number", "556036-0793")
    page.check("#consent")
    page.get_by_role("button", name="Skicka förfrågan").click()
    assert BUSINESS in page.inner_text("main")
    afternoon.run_worker()

    # The mailed link confirms it; the acknowledgement says what happens next.
    page.goto(base + _link(afternoon, BUSINESS, "/forum/mora/boka/"))
    assert "Tack" in page.inner_text("main")
    afternoon.run_worker()
    follow = _link(afternoon, BUSINESS, "/foretag/")
    page.goto(base + follow)
    assert "Hos samordnaren" in page.inner_text("main")

    # The coordinator finds it in the queue with the departments ticked by the routing rules,
    # accepts it and books the earliest time.
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, base, DEMO_LOGINS["coordinator"])
    page.goto(f"{base}/intake")
    page.get_by_role("link", name="Siljans Krog AB").click()
    for name in ("Miljökontoret Mora Orsa", "Mora Brandkår", "Stadsbyggnadsförvaltningen"):
        assert page.get_by_label(name, exact=False).is_checked(), name
    page.get_by_role("button", name="Ta emot och visa föreslagna tider").click()
    page.wait_for_url(re.compile(r".*/cases/\d+/book$"))
    book_earliest(page)
    logout(page)
    afternoon.run_worker()

    # The business is told: a case, then the confirmation with its case page.
    page.goto(base + follow)
    assert "ärende" in page.inner_text("main")
    customer_page = _link(afternoon, BUSINESS, "/c/")
    page.goto(base + customer_page)
    assert "Siljans Krog AB" in page.inner_text("main")

    # Two working days before the afternoon the agenda goes to the attending representatives.
    meeting = last_meeting(afternoon)
    assert meeting.starts_at.date() == datetime(2026, 12, 8).date()  # Tuesday 8 December
    afternoon.clock.set(datetime(2026, 12, 4, 6, tzinfo=UTC))  # Friday 07:00 in Mora
    afternoon.run_worker()
    (agenda,) = [t for t in afternoon.mails_to(ANNA) if "dagordningen för Forum Mora" in t]
    assert "Siljans Krog AB" in agenda

    # The business uploads a drawing on its case page, on the phone.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + customer_page)
    page.set_input_files("#document", files=[DRAWING])
    page.get_by_role("button", name="Ladda upp / Upload", exact=True).click()
    assert "ritning kök.pdf" in page.inner_text("main")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Anna's printable agenda links the drawing, which downloads as a file, never a page.
    agenda_path = re.search(r"http://forum\.test(/sessions/\d+/dagordning)", agenda)
    assert agenda_path is not None
    login(page, base, ANNA)
    page.goto(base + agenda_path.group(1))
    with page.expect_download() as download:
        page.get_by_role("link", name="ritning kök.pdf").click()
    assert download.value.suggested_filename == "ritning kök.pdf"
    assert download.value.path().read_bytes() == DRAWING["buffer"]
    logout(page)

    # The meeting happens: the minutes are written, the convener approves them, and the
    # business reads the decisions on its page.
    afternoon.clock.set(meeting.ends_at + timedelta(hours=1))
    _hold(afternoon, page, meeting.id, "Ansök om bygglov och serveringstillstånd.")
    page.goto(base + customer_page)
    assert "Ansök om bygglov och serveringstillstånd." in page.inner_text("main")


def _hold(afternoon: Afternoon, page: Any, meeting_id: int, decisions: str) -> None:
    """After the meeting: the coordinator writes its minutes and Anna, who chaired, approves."""
    base = afternoon.url
    login(page, base, DEMO_LOGINS["coordinator"])
    page.goto(f"{base}/meetings/{meeting_id}/minutes")
    page.get_by_role("button", name="Börja skriva protokoll").click()
    page.fill("#decisions", decisions)
    page.get_by_role("button", name="Spara utkast").click()
    page.get_by_role("button", name="Be sammankallande justera").click()
    logout(page)
    login(page, base, ANNA)
    page.goto(f"{base}/meetings/{meeting_id}/minutes")
    page.get_by_role("button", name="Justera och skicka").click()
    logout(page)
    afternoon.run_worker()


def test_a_representative_passes_a_contact_on_and_follows_it(
    afternoon: Afternoon, page: Any
) -> None:
    base = afternoon.url
    anna = ANNA
    login(page, base, anna)
    page.goto(f"{base}/intake/new")
    _fill_request(page)
    page.get_by_role("button", name="Skicka förfrågan").click()
    assert "godkände" in page.inner_text("main") or "agreed" in page.inner_text("main")
    assert page.input_value("#org_name") == "Siljans Krog AB"  # nothing typed is lost
    page.fill("#consent_note", "Per telefon 4 december")
    page.get_by_role("button", name="Skicka förfrågan").click()
    page.wait_for_url(re.compile(r".*/intake/mine$"))
    assert "Siljans Krog AB" in page.inner_text("main")
    assert "hos samordnaren" in page.inner_text("main")
    logout(page)

    login(page, base, DEMO_LOGINS["coordinator"])
    page.goto(f"{base}/intake")
    page.get_by_role("link", name="Siljans Krog AB").click()
    page.get_by_role("button", name="Ta emot och visa föreslagna tider").click()
    book_earliest(page)
    reference = re.search(r"[A-Z]+-\d{4}-\d{4}", page.inner_text("main"))
    assert reference is not None
    logout(page)

    login(page, base, anna)
    page.goto(f"{base}/intake/mine")
    mine = page.inner_text("main")
    assert reference.group(0) in mine and "möte" in mine
