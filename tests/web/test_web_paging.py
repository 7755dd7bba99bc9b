"""List pages read a page at a time (issue 16: a page costs what it shows): the overdue
points, the request queue and the contacts one passed on show a bounded page and link to the
next one; the last page links back and not on."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, book_directly, page_text

from booking.domain.vocabulary import CaseCategory, RequestSource, RequestStatus
from booking.models import ContactRequest, FollowUpPoint, Forum, User
from booking.services.demo import DEMO_LOGINS


def _pages(client, url: str, first: list[str], second: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Page 1 shows ``first`` and links on; page 2 shows ``second`` and links back only."""
    one = page_text(client, url)
    assert all(t in one for t in first) and not any(t in one for t in second)
    assert "Nästa sida" in one and "Föregående sida" not in one
    two = page_text(client, f"{url}?page=2")
    assert all(t in two for t in second) and not any(t in two for t in first)
    assert "Föregående sida" in two and "Nästa sida" not in two


def test_overdue_points_come_a_page_at_a_time(
    login_as: LoginAs, seeded: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("booking.web.views.followup.timeline.OVERDUE", 2)
    case = book_directly(seeded).case
    for day in (2, 3, 4):
        seeded.add(
            FollowUpPoint(case_id=case.id, title=f"Punkt {day}", due_date=date(2026, 11, day))
        )
    seeded.commit()
    _pages(login_as("coordinator"), "/followup/overdue", ["Punkt 2", "Punkt 3"], ["Punkt 4"])


def _request(db: Db, name: str, passed_on_by: int | None = None) -> None:
    forum = db.scalar(select(Forum).where(Forum.slug == "mora"))
    assert forum is not None
    db.add(
        ContactRequest(
            forum_id=forum.id,
            status=RequestStatus.NEW,
            source=RequestSource.STAFF,
            category=CaseCategory.EVENT,
            org_name=name,
            contact_name="Kontakt",
            contact_email="kontakt@example.se",
            follow_token_hash=f"hash-{name}",
            passed_on_by_id=passed_on_by,
        )
    )
    db.commit()


def test_the_request_queue_and_ones_own_contacts_come_a_page_at_a_time(
    login_as: LoginAs, seeded: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("booking.web.views.intake.QUEUE", 2)
    monkeypatch.setattr("booking.web.views.intake.MINE", 2)
    coordinator = seeded.scalar(select(User).where(User.email == DEMO_LOGINS["coordinator"]))
    assert coordinator is not None
    for name in ("Alfa AB", "Beta AB", "Gamma AB"):
        _request(seeded, name, coordinator.id)
    client = login_as("coordinator")
    _pages(client, "/intake", ["Alfa AB", "Beta AB"], ["Gamma AB"])  # oldest first
    _pages(client, "/intake/mine", ["Gamma AB", "Beta AB"], ["Alfa AB"])  # newest first


def test_forum_afternoons_come_a_page_at_a_time_and_by_forum(
    login_as: LoginAs, seeded: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A county's dozens of forums: /admin/sessions shows a page of afternoons, of one forum or
    all, and its page links keep the forum chosen."""
    monkeypatch.setattr("booking.web.views.admin.sessions.SESSIONS_SHOWN", 3)
    client = login_as("coordinator")

    def rows(url: str) -> list[str]:  # the afternoons listed: one table row each
        html = client.get(url).get_data(as_text=True)
        return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("<tr>")[1:]

    first, second = rows("/admin/sessions"), rows("/admin/sessions?page=2")
    assert len(first) == 3 == len(second) and not set(first) & set(second)
    text = page_text(client, "/admin/sessions")
    assert "Nästa sida" in text and "Föregående sida" not in text
    assert "Föregående sida" in page_text(client, "/admin/sessions?page=2")

    orsa = rows("/admin/sessions?forum=orsa")
    assert len(orsa) == 3 and all("Orsa" in row and "Mora" not in row for row in orsa)
    html = client.get("/admin/sessions?forum=orsa").get_data(as_text=True)
    assert re.search(r'href="/admin/sessions\?(forum=orsa&amp;page=2|page=2&amp;forum=orsa)"', html)
    assert client.get("/admin/sessions?forum=nowhere").status_code == 404
