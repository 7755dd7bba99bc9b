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
from datetime import timedelta
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

from booking.domain.nki import NKI_QUESTIONS
from booking.services.demo import DEMO_LOGINS

__all__ = ["afternoon", "page"]  # the fixtures, used by name

pytestmark = [pytest.mark.slow, pytest.mark.external]  # Chromium, Xandikos, a provider


def test_one_forum_afternoon_from_booking_to_statistics(afternoon: Afternoon, page: Any) -> None:
    base, anna, oskar, nils = (
        afternoon.url,
        DEMO_LOGINS["representative"],
        "oskar.falk@moraorsa.example",
        "nils.aberg@moraorsa.example",
    )
    coordinator = DEMO_LOGINS["coordinator"]

    # The coordinator registers the case and books it, choosing convener and minute-taker once.
    login(page, base, coordinator)
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
    book_earliest(page)
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
    logout(page)

    # Anna answers on the web, from her to-do list.
    login(page, base, anna)
    page.goto(f"{base}/me/todo")
    assert "Inbjudningar att svara på (1)" in page.inner_text("main")
    page.get_by_role("button", name="Tacka ja").click()
    assert "Ditt svar är registrerat" in page.inner_text("main")
    logout(page)

    # Every department has accepted: the coordinator sees it confirmed, then moves the meeting
    # and cancels it while the worker is stopped.
    login(page, base, coordinator)
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
    book_earliest(page)
    afternoon.run_worker()
    afternoon.answer_in_calendar(oskar, accept=True)
    afternoon.run_worker()
    logout(page)
    login(page, base, anna)
    page.goto(f"{base}/me/todo")
    page.get_by_role("button", name="Tacka ja").click()
    logout(page)
    meeting = last_meeting(afternoon)
    afternoon.clock.set(meeting.ends_at + timedelta(hours=1))
    afternoon.run_worker()

    # The coordinator writes the minutes and asks the convener to approve them.
    login(page, base, coordinator)
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
    logout(page)
    afternoon.run_worker()
    assert any(f"/meetings/{meeting.id}/minutes" in t for t in afternoon.mails_to(anna))

    # Anna finds it on her list and approves; the minutes go out; the follow-up point is hers.
    login(page, base, anna)
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
    logout(page)

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
    login(page, base, coordinator)
    page.goto(f"{base}/statistics")
    text = page.inner_text("main")
    assert "Svarsfrekvens" in text or "svarsfrekvens" in text
    assert re.search(r"\b1 av 1\b|100 %", text), text[:2000]
