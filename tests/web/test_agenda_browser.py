"""Arriving prepared (issue 14 §4, "Done means"), walked in a real browser against real
servers: the coordinator books a case and writes what each department will cover; the business's
confirmation names them, the convener and what to bring; two working days before the afternoon
the worker mails its agenda to every attending representative, once, and the representative
opens the printable agenda from the mail."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from browser_world import (
    CUSTOMER,
    Afternoon,
    afternoon,
    book_earliest,
    last_meeting,
    login,
    logout,
    page,
)
from sqlalchemy import select

from booking.domain.vocabulary import CaseCategory
from booking.models import CategoryGuide, Forum
from booking.services.demo import DEMO_LOGINS

__all__ = ["afternoon", "page"]  # the fixtures, used by name

pytestmark = [pytest.mark.slow, pytest.mark.external]  # Chromium, Xandikos, aiosmtpd

ANNA = DEMO_LOGINS["representative"]
OSKAR = "oskar.falk@moraorsa.example"


def _guide(afternoon: Afternoon) -> None:
    """The forum's guide for new establishments (its admin page is another issue's)."""
    db = afternoon.app.extensions["session_factory"]()
    forum = db.scalar(select(Forum).where(Forum.slug == "mora"))
    # The demo data holds a guide for the category; this walk writes its own texts into it.
    guide = db.scalar(
        select(CategoryGuide).where(
            CategoryGuide.forum_id == forum.id,
            CategoryGuide.category == CaseCategory.NEW_ESTABLISHMENT,
        )
    )
    if guide is None:
        guide = CategoryGuide(forum_id=forum.id, category=CaseCategory.NEW_ESTABLISHMENT)
        db.add(guide)
    guide.ask = "Hur många sittplatser? Öppettider?"
    guide.bring = "Ritning över lokalen och en menyskiss."
    db.commit()
    db.close()


def _agenda_mails(afternoon: Afternoon, address: str) -> list[str]:
    return [t for t in afternoon.mails_to(address) if "dagordningen för Forum Mora" in t]


def test_the_agenda_mail_goes_out_after_booking(afternoon: Afternoon, page: Any) -> None:
    base = afternoon.url
    _guide(afternoon)

    # The coordinator registers the case, books it and writes what each department covers.
    login(page, base, DEMO_LOGINS["coordinator"])
    page.goto(f"{base}/cases/new")
    page.select_option("#forum", "mora")
    page.fill("#org_name", "Siljans Bageri AB")
    page.fill("#contact_name", "Greta Kund")
    page.fill("#contact_email", CUSTOMER)
    page.check("input[name=category][value=new_establishment]")
    page.fill("#description", "Nytt bageri med servering i centrala Mora.")
    page.get_by_label("Stadsbyggnadsförvaltningen Mora Orsa", exact=False).check()
    page.get_by_label("Miljökontoret Mora Orsa", exact=False).check()
    page.check("#consent_to_share")
    page.get_by_role("button", name="Spara och visa föreslagna tider").click()
    page.wait_for_url(re.compile(r".*/cases/\d+/book$"))
    case_url = page.url.removesuffix("/book")
    page.goto(case_url)
    covers = page.locator("section[aria-labelledby=covers-h]")
    covers.get_by_label("Stadsbyggnadsförvaltningen Mora Orsa").fill(
        "Bygglov för ombyggnaden och skylten"
    )
    # Too long first: refused with a clear message, nothing typed lost.
    covers.get_by_label("Miljökontoret Mora Orsa").fill("Livsmedel " * 60)
    covers.get_by_role("button", name="Spara").click()
    assert "Korta texten till högst 500 tecken" in page.inner_text("main")
    covers = page.locator("section[aria-labelledby=covers-h]")
    assert covers.get_by_label("Stadsbyggnadsförvaltningen Mora Orsa").input_value() == (
        "Bygglov för ombyggnaden och skylten"
    )
    covers.get_by_label("Miljökontoret Mora Orsa").fill("Livsmedelsregistrering")
    covers.get_by_role("button", name="Spara").click()
    page.wait_for_url(re.compile(r".*/cases/\d+#covers-h$"))
    assert "Det som förvaltningarna tar upp är sparat." in page.inner_text("main")
    page.click("text=Visa föreslagna tider och boka")
    book_earliest(page)
    assert "Eftermiddagens dagordning" in page.inner_text("main")  # linked from the case
    logout(page)
    afternoon.run_worker()

    # The business's confirmation: each department with what it covers, the convener, the bring
    # list; its .ics says the same.
    (confirmation,) = [
        t for t in afternoon.mails_to(CUSTOMER) if "Bekräftelse" in t or "Välkommen" in t
    ]
    assert (
        "- Stadsbyggnadsförvaltningen Mora Orsa: Bygglov för ombyggnaden och skylten"
        in confirmation
    )
    assert "- Miljökontoret Mora Orsa: Livsmedelsregistrering" in confirmation
    assert "Sammankallande / Convener: Anna Lind" in confirmation
    assert "Ritning över lokalen och en menyskiss." in confirmation

    # Two working days before the afternoon the worker sends the agenda, once.
    meeting = last_meeting(afternoon)
    assert meeting.starts_at.date() == datetime(2026, 12, 8).date()  # Tuesday 8 December
    afternoon.clock.set(datetime(2026, 12, 3, 22, tzinfo=UTC))  # Thursday 23:00 in Mora
    afternoon.run_worker()
    assert _agenda_mails(afternoon, ANNA) == []
    afternoon.clock.set(datetime(2026, 12, 4, 6, tzinfo=UTC))  # Friday 07:00
    report = afternoon.worker.tick(afternoon.clock.now(), force=True)
    # Anna, who chairs, and Oskar, who keeps the minutes (Stadsbyggnad and Miljö).
    assert report.agendas == 2 and report.errors == []
    afternoon.run_worker()
    (agenda,) = _agenda_mails(afternoon, ANNA)
    assert "Siljans Bageri AB" in agenda
    assert "- Stadsbyggnadsförvaltningen Mora Orsa: Bygglov för ombyggnaden och skylten" in agenda
    assert "Frågor att ta upp / Questions to raise: Hur många sittplatser? Öppettider?" in agenda
    assert len(_agenda_mails(afternoon, OSKAR)) == 1

    # Anna opens the printable agenda from the mail.
    link = re.search(r"http://forum\.test(/sessions/\d+/dagordning)", agenda)
    assert link is not None
    login(page, base, ANNA)
    page.goto(base + link.group(1))
    main = page.inner_text("main")
    assert "Dagordning" in main and "Siljans Bageri AB" in main
    assert "Bygglov för ombyggnaden och skylten" in main
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert afternoon.worker.tick(afternoon.clock.now(), force=True).agendas == 0  # once
