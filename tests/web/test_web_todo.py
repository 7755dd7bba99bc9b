"""Every role knows what to do next (issue 13): the to-do list, answering one's own invitation
on the web (channel "web"), and the owner of a follow-up point marking it done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, book_directly, page_text

from booking.clock import FixedClock
from booking.domain.vocabulary import MeetingStatus, MinutesStatus, PartStat
from booking.models import Attendee, AuditEvent, FollowUpPoint, Meeting, Minutes, Representative
from booking.services.demo import DEMO_LOGINS


def _anna(db: Db) -> Representative:
    rep = db.scalar(
        select(Representative).where(Representative.email == DEMO_LOGINS["representative"])
    )
    assert rep is not None and rep.user_id is not None
    return rep


def _invite(db: Db, meeting: Meeting, rep: Representative) -> Attendee:
    """Anna's invitation to the meeting, not answered yet."""
    attendee = next((a for a in meeting.attendees if a.representative_id == rep.id), None)
    if attendee is None:
        attendee = Attendee(representative_id=rep.id, department_id=rep.department_id)
        meeting.attendees.append(attendee)
    attendee.partstat = PartStat.NEEDS_ACTION
    db.commit()
    return attendee


def test_a_representative_answers_on_the_web_from_the_to_do_list(
    login_as: LoginAs, seeded: Db
) -> None:
    meeting = book_directly(seeded)
    attendee = _invite(seeded, meeting, _anna(seeded))
    client = login_as("representative")
    todo = page_text(client, "/me/todo")
    assert "Inbjudningar att svara på (1)" in todo
    assert "Tacka ja" in page_text(client, "/me/meetings")

    response = client.post(
        f"/me/invitations/{attendee.id}/answer",
        data={"partstat": "ACCEPTED", "note": "Jag tar med ritningarna", "back": "todo"},
    )
    assert response.status_code == 302 and response.location.endswith("/me/todo")
    seeded.expire_all()
    assert (attendee.partstat, attendee.reply_channel) == (PartStat.ACCEPTED, "web")
    assert attendee.reply_note == "Jag tar med ritningarna"
    trail = seeded.scalar(
        select(AuditEvent).where(AuditEvent.entity_id == attendee.id, AuditEvent.action == "reply")
    )
    assert trail is not None and trail.actor == DEMO_LOGINS["representative"]
    assert "Inbjudningar att svara på" not in page_text(client, "/me/todo")
    # She changes her mind on the case page; the answer is recorded there too.
    case_page = page_text(client, f"/cases/{meeting.case_id}")
    assert "Ditt svar: Tackat ja" in case_page
    response = client.post(
        f"/me/invitations/{attendee.id}/answer", data={"partstat": "TENTATIVE", "back": "case"}
    )
    assert response.location.endswith(f"/cases/{meeting.case_id}")
    seeded.expire_all()
    assert attendee.partstat == PartStat.TENTATIVE


def test_nobody_answers_someone_elses_invitation(login_as: LoginAs, seeded: Db) -> None:
    meeting = book_directly(seeded)
    anna = _anna(seeded)
    other = next(a for a in meeting.attendees if a.representative_id != anna.id)
    before = other.partstat
    client = login_as("representative")
    response = client.post(f"/me/invitations/{other.id}/answer", data={"partstat": "DECLINED"})
    assert response.status_code == 404
    seeded.expire_all()
    assert other.partstat == before
    # No answer chosen: a message, nothing recorded.
    mine = _invite(seeded, meeting, anna)
    response = client.post(f"/me/invitations/{mine.id}/answer", data={"partstat": "MAYBE"})
    assert response.status_code == 302
    seeded.expire_all()
    assert mine.partstat == PartStat.NEEDS_ACTION


def test_minutes_to_write_and_approve_are_on_the_list(
    login_as: LoginAs, seeded: Db, clock: FixedClock
) -> None:
    anna = _anna(seeded)
    to_write = book_directly(seeded, reference="F-2026-0001")
    to_approve = book_directly(seeded, reference="F-2026-0002", slot_index=1)
    for meeting in (to_write, to_approve):
        meeting.starts_at = clock.now() - timedelta(days=3, hours=1)
        meeting.ends_at = clock.now() - timedelta(days=3)
        meeting.status = MeetingStatus.HELD
    to_write.minute_taker_id = anna.id
    to_approve.convener_id = anna.id
    seeded.add(Minutes(meeting_id=to_approve.id, version=1, status=MinutesStatus.DRAFT))
    seeded.commit()
    todo = page_text(login_as("representative"), "/me/todo")
    assert "Protokoll att justera (1)" in todo and "Protokoll att skriva (1)" in todo
    assert "F-2026-0001" in todo.split("Protokoll att skriva")[1]


def test_the_owner_marks_a_follow_up_point_done(
    login_as: LoginAs, seeded: Db, clock: FixedClock
) -> None:
    meeting = book_directly(seeded)
    point = FollowUpPoint(
        case_id=meeting.case_id,
        title="Skicka ritningar till bygglov",
        owner_name="Anna Lind",
        owner_email=DEMO_LOGINS["representative"].upper(),  # addresses compare case-blind
        due_date=clock.now().date() + timedelta(days=10),
    )
    seeded.add(point)
    seeded.commit()
    viewer = login_as("viewer")
    assert viewer.post(f"/me/points/{point.id}/done").status_code == 403
    client = login_as("representative")
    assert "Dina uppföljningspunkter (1)" in page_text(client, "/me/todo")
    assert client.post(f"/me/points/{point.id}/done").status_code == 302
    seeded.expire_all()
    assert point.status == "done" and point.done_by == DEMO_LOGINS["representative"]
    assert "Inget att göra just nu" in page_text(client, "/me/todo")


def _three_invitations_for_anna(db: Db) -> None:
    """Anna invited to the meetings of "Bolag 1 AB" … "Bolag 3 AB", in that order in time."""
    anna = _anna(db)
    for i in range(3):
        meeting = book_directly(
            db, reference=f"F-2026-000{i + 1}", org_name=f"Bolag {i + 1} AB", slot_index=i
        )
        _invite(db, meeting, anna)


def test_a_long_to_do_list_is_read_a_page_at_a_time(
    login_as: LoginAs, seeded: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page shows PER_PAGE invitations at a time, soonest first, with the whole count in
    the heading and page links (issue 16: thousands of unanswered invitations)."""
    monkeypatch.setattr("booking.services.todo.PER_PAGE", 2)
    _three_invitations_for_anna(seeded)
    client = login_as("representative")
    first = page_text(client, "/me/todo")
    assert "Inbjudningar att svara på (3)" in first and "Sida 1 av 2" in first
    assert "Bolag 1 AB" in first and "Bolag 2 AB" in first and "Bolag 3 AB" not in first
    assert "Nästa sida" in first and "Föregående sida" not in first
    second = page_text(client, "/me/todo?page=2")
    assert "Inbjudningar att svara på (3)" in second and "Sida 2 av 2" in second
    assert "Bolag 3 AB" in second and "Bolag 1 AB" not in second
    assert "Föregående sida" in second and "Nästa sida" not in second
    # A page number that is not one shows the first page.
    assert "Sida 1 av 2" in page_text(client, "/me/todo?page=x")


def test_my_meetings_shows_a_bounded_page_with_links_to_the_next(
    login_as: LoginAs, seeded: Db, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page "Mina möten" lists SHOWN meetings at a time, soonest first, and links to the
    next page rather than listing every meeting ahead (issue 16)."""
    monkeypatch.setattr("booking.web.views.me.SHOWN", 2)
    _three_invitations_for_anna(seeded)
    client = login_as("representative")
    first = page_text(client, "/me/meetings")
    assert "Bolag 1 AB" in first and "Bolag 2 AB" in first and "Bolag 3 AB" not in first
    assert "De 2 närmaste mötena visas" in first
    assert "Nästa sida" in first and "Föregående sida" not in first
    second = page_text(client, "/me/meetings?page=2")
    assert "Bolag 3 AB" in second and "Bolag 2 AB" not in second
    assert "Föregående sida" in second and "Nästa sida" not in second
