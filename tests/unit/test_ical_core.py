"""The iCalendar core: rule-based VTIMEZONE, audience texts, stable renderings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import vobject
from icalendar import Calendar

from booking.domain.visibility import Audience, ConsentScope, visibility
from booking.domain.vocabulary import CaseCategory, MeetingStatus
from booking.ical.event import meeting_vevent
from booking.ical.serialize import new_calendar, to_bytes
from booking.ical.vtimezone import follows_eu_rule, vtimezone
from booking.models import Attendee, Case, Department, Forum, Meeting, Representative

MARKERS = {
    "org_name": "ORGMARK-1",
    "description": "DESCMARK-2",
    "contact_name": "NAMEMARK-3",
    "contact_email": "mailmark4@example.org",
    "contact_phone": "070-5550000",
}


def _meeting(*, confidential: bool, consent: bool, starts: datetime) -> Meeting:
    forum = Forum(
        slug="mora",
        name="Forum Mora",
        municipality="Mora kommun",
        timezone="Europe/Stockholm",
        location="Kommunhuset, Mora",
    )
    dept = Department(slug="bygg", name="Stadsbyggnad")
    rep = Representative(name="Anna Lind", email="anna@example.org", department=dept)
    case = Case(
        forum=forum,
        reference="MORA-2027-0001",
        category=CaseCategory.EVENT,
        confidential=confidential,
        consent_to_share=consent,
        departments=[dept],
        **MARKERS,
    )
    case.id = 7
    meeting = Meeting(
        case=case,
        uid="m-1@forum.test",
        sequence=2,
        starts_at=starts,
        ends_at=starts.replace(hour=starts.hour + 1),
        status=MeetingStatus.BOOKED,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        updated_at=datetime(2026, 11, 2, 10, 30, tzinfo=UTC),
    )
    meeting.attendees = [Attendee(representative=rep, department=dept, active=True)]
    return meeting


def _render(meeting: Meeting, audience: Audience) -> bytes:
    cal = new_calendar("Europe/Stockholm")
    cal.add_component(meeting_vevent(meeting, audience, base_url="https://forum.test"))
    return to_bytes(cal)


def test_vtimezone_is_rule_based_not_a_date_list() -> None:
    text = vtimezone("Europe/Stockholm").to_ical().decode()
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in text
    assert "RDATE" not in text
    assert "TZOFFSETTO:+0200" in text and "TZOFFSETTO:+0100" in text


def test_zone_without_eu_rule_is_refused() -> None:
    assert not follows_eu_rule("America/New_York")
    with pytest.raises(ValueError, match="EU daylight-saving"):
        vtimezone("America/New_York")


@pytest.mark.parametrize(
    ("starts_utc", "local"),
    [
        (datetime(2040, 6, 12, 11, 0, tzinfo=UTC), "20400612T130000"),  # CEST in 2040
        (datetime(2027, 3, 30, 11, 0, tzinfo=UTC), "20270330T130000"),
        (datetime(2027, 3, 23, 12, 0, tzinfo=UTC), "20270323T130000"),
    ],
)
def test_times_are_local_with_tzid_and_parse_back_to_the_same_instant(
    starts_utc: datetime, local: str
) -> None:
    body = _render(_meeting(confidential=False, consent=True, starts=starts_utc), Audience.FORUM)
    assert f"DTSTART;TZID=Europe/Stockholm:{local}".encode() in body
    # Two independent parsers read the same instant from our VTIMEZONE.
    parsed = Calendar.from_ical(body).walk("VEVENT")[0]["DTSTART"].dt
    assert parsed.astimezone(UTC) == starts_utc
    vevent = vobject.readOne(body.decode()).vevent
    assert vevent.dtstart.value.astimezone(UTC) == starts_utc


def test_rendering_is_stable_and_uses_crlf() -> None:
    meeting = _meeting(
        confidential=False, consent=True, starts=datetime(2027, 2, 2, 12, tzinfo=UTC)
    )
    first, second = _render(meeting, Audience.DEPARTMENT), _render(meeting, Audience.DEPARTMENT)
    assert first == second
    assert b"\r\n" in first and b"\n" not in first.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in first.split(b"\r\n"))


def _markers_in(body: bytes) -> set[str]:
    text = Calendar.from_ical(body).walk("VEVENT")[0]
    joined = " ".join(str(text.get(k, "")) for k in ("SUMMARY", "DESCRIPTION", "LOCATION"))
    return {field for field, marker in MARKERS.items() if marker in joined}


def test_confidential_case_is_redacted_in_every_feed_audience() -> None:
    meeting = _meeting(confidential=True, consent=True, starts=datetime(2027, 2, 2, 12, tzinfo=UTC))
    for audience in (Audience.DEPARTMENT, Audience.REPRESENTATIVE, Audience.FORUM):
        body = _render(meeting, audience)
        assert _markers_in(body) == set(), audience
        assert (
            "Forum – sekretess (MORA-2027-0001)"
            in Calendar.from_ical(body).walk("VEVENT")[0]["SUMMARY"]
        )
    # An invitation to a confidential case carries only the neutral reference (issue 11).
    invitation = _render(meeting, Audience.ATTENDEE)
    assert _markers_in(invitation) == set()
    assert Calendar.from_ical(invitation).walk("VEVENT")[0]["SUMMARY"] == (
        "Forum – sekretess (MORA-2027-0001)"
    )
    assert _markers_in(_render(meeting, Audience.CUSTOMER)) == set(MARKERS)


def test_without_consent_attendees_and_feeds_see_no_organisation() -> None:
    meeting = _meeting(
        confidential=False, consent=False, starts=datetime(2027, 2, 2, 12, tzinfo=UTC)
    )
    for audience in (Audience.DEPARTMENT, Audience.ATTENDEE, Audience.FORUM):
        assert _markers_in(_render(meeting, audience)) == set(), audience


def test_open_case_with_consent_shows_organisation_but_never_contact_in_feeds() -> None:
    meeting = _meeting(
        confidential=False, consent=True, starts=datetime(2027, 2, 2, 12, tzinfo=UTC)
    )
    # consent=True is the municipal scope: the coordinators' forum feed names the business;
    # department and representative feeds, which external parties read too, do not.
    assert _markers_in(_render(meeting, Audience.FORUM)) == {"org_name"}
    assert _markers_in(_render(meeting, Audience.DEPARTMENT)) == set()
    assert _markers_in(_render(meeting, Audience.REPRESENTATIVE)) == set()
    meeting.case.consent_scope = ConsentScope.EXTERNAL
    for audience in (Audience.DEPARTMENT, Audience.REPRESENTATIVE, Audience.FORUM):
        assert _markers_in(_render(meeting, audience)) == {"org_name"}, audience
    assert visibility(Audience.DEPARTMENT, confidential=False, consent="external").category
    assert not visibility(Audience.DEPARTMENT, confidential=False, consent="municipal").category


def test_cancelled_meeting_is_marked() -> None:
    meeting = _meeting(
        confidential=False, consent=True, starts=datetime(2027, 2, 2, 12, tzinfo=UTC)
    )
    meeting.status = MeetingStatus.CANCELLED
    event = Calendar.from_ical(_render(meeting, Audience.DEPARTMENT)).walk("VEVENT")[0]
    assert event["STATUS"] == "CANCELLED"
    assert str(event["SUMMARY"]).startswith("INSTÄLLT: ")
