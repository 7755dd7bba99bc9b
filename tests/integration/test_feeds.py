"""ICS feeds end to end on SQLite and PostgreSQL: content per audience, times, HTTP caching.

Every feed is parsed with icalendar and with vobject (an independent parser, which also reads the
times through the feed's own VTIMEZONE rather than the tz database).
"""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import feeds_helpers as h
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.domain.visibility import ConsentScope
from booking.models import Case, Representative
from booking.models.feeds import FeedBody, FeedEvent
from booking.services.feeds.build import rebuild
from booking.services.feeds.request import feed_bytes
from booking.services.meetings import events as meeting_events


def _vobject_start(data: bytes, uid: str) -> datetime:
    import vobject

    cal = vobject.readOne(data.decode())
    event = next(e for e in cal.vevent_list if e.uid.value == uid)
    start: datetime = event.dtstart.value
    return start


# ---------------------------------------------------------------- content


def test_department_feed_calendar_properties(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    meeting = h.book(seeded, clock.now())
    dept = h.department(seeded, "stadsbyggnad")
    data = h.get_feed(client, h.url(seeded, "department", dept.id, clock.now()))
    text = h.unfolded(data)
    assert "METHOD" not in text
    for line in (
        "VERSION:2.0",
        "PRODID:-//Dörren in//Forum booking//SV",
        f"X-WR-CALNAME:Forum – {dept.name}",
        f"NAME:Forum – {dept.name}",
        "X-WR-TIMEZONE:Europe/Stockholm",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
        "DTSTART;TZID=Europe/Stockholm:20261208T130000",
        f"UID:{meeting.uid}",
        "SEQUENCE:0",
        "DTSTAMP:20261130T080000Z",
        "LAST-MODIFIED:20261130T080000Z",
    ):
        assert line in text.split("\r\n"), line
    assert "RDATE" not in text
    assert data.count(b"BEGIN:VTIMEZONE") == 1
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    assert b"\n" not in data.replace(b"\r\n", b"")
    cal = h.parse_both(data)
    event = h.events(cal)[meeting.uid]
    assert "Miljökontoret Mora Orsa" in str(event["DESCRIPTION"])
    assert "http://forum.test/cases/" in str(event["DESCRIPTION"])


def test_same_uid_in_every_feed(client: FlaskClient, seeded: Db, clock: FixedClock) -> None:
    now = clock.now()
    meeting = h.book(seeded, now)
    dept = h.department(seeded, "miljokontoret")
    rep = h.first_rep(dept)
    paths = [
        h.url(seeded, "department", dept.id, now),
        h.url(seeded, "representative", rep.id, now),
        h.url(seeded, "forum", meeting.case.forum_id, now),
        h.url(seeded, "case", meeting.case_id, now),
    ]
    for path in paths:
        assert list(h.events(h.parse_both(h.get_feed(client, path)))) == [meeting.uid], path
    availability = h.parse_both(h.get_feed(client, "/feeds/forums/mora/availability.ics"))
    assert meeting.uid not in h.events(availability)


MARKED_FIELDS = (
    "org_name",
    "org_number",
    "registry_number",
    "contact_name",
    "contact_email",
    "contact_phone",
    "description",
)


@pytest.mark.parametrize(
    ("confidential", "scope"),
    [
        (True, "external"),
        (True, "none"),
        (False, "none"),
        (False, "municipal"),
        (False, "external"),
    ],
)
def test_confidential_and_personal_fields_only_where_allowed(
    client: FlaskClient, seeded: Db, clock: FixedClock, confidential: bool, scope: str
) -> None:
    now = clock.now()
    tag = f"{int(confidential)}{scope[0]}"
    markers = {f: f"zq{f.replace('_', '')}{tag}x" for f in MARKED_FIELDS}
    markers["contact_email"] = f"zqmail{tag}@kund.example"
    markers["org_number"] = f"55{tag}99-0001"
    meeting = h.book(
        seeded,
        now,
        confidential=confidential,
        consent_scope=ConsentScope(scope),
        responsibility_areas=[f"zqarea{tag}x"],
        **markers,
    )
    markers["responsibility_areas"] = f"zqarea{tag}x"
    feeds = h.feeds_showing(seeded, meeting, "stadsbyggnad", now)
    feeds["availability"] = "/feeds/forums/mora/availability.ics"
    texts = {name: h.unfolded(h.get_feed(client, path)) for name, path in feeds.items()}
    # Where each field may appear; everything else must not contain its marker.
    allowed: dict[str, set[str]] = {f: set() for f in markers}
    for personal in ("contact_name", "contact_email", "contact_phone", "description", "org_name"):
        allowed[personal].add("case")
    # The forum feed is the coordinators'; department and representative feeds are read by
    # external parties too, so they need the consent that reaches them.
    if scope != "none" and not confidential:
        allowed["org_name"].add("forum")
    if scope == "external" and not confidential:
        allowed["org_name"] |= {"department", "representative"}
    for field, marker in markers.items():
        for name, text in texts.items():
            shown = marker in text
            assert shown == (name in allowed[field]), (field, name, shown)
    for name in ("department", "representative", "forum"):
        summary = next(
            line for line in texts[name].split("\r\n") if line.startswith("SUMMARY:Forum")
        )
        if confidential:
            assert summary == f"SUMMARY:Forum – sekretess ({meeting.case.reference})"
            assert "Nyetablering" not in texts[name]
        assert meeting.case.reference in summary


def test_sequence_rises_on_reschedule(client: FlaskClient, seeded: Db, clock: FixedClock) -> None:
    meeting = h.book(seeded, clock.now(), slot=h.slot_on(seeded, "2026-12-08"))
    path = h.url(seeded, "case", meeting.case_id, clock.now())
    before = h.events(h.parse_both(h.get_feed(client, path)))[meeting.uid]
    clock.set(clock.now() + timedelta(hours=2))
    h.reschedule(seeded, meeting, h.slot_on(seeded, "2026-12-22", index=1), clock.now())
    after = h.events(h.parse_both(h.get_feed(client, path)))[meeting.uid]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after.decoded("DTSTART") == datetime(2026, 12, 22, 13, 15, tzinfo=UTC)
    assert after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")
    assert after.decoded("DTSTAMP") == after.decoded("LAST-MODIFIED")


def test_cancelled_meeting_kept_then_expires(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    meeting = h.book(seeded, clock.now(), slot=h.slot_on(seeded, "2027-01-19"))
    dept = h.department(seeded, "stadsbyggnad")
    path = h.url(seeded, "department", dept.id, clock.now())
    h.cancel(seeded, meeting, clock.now())
    event = h.events(h.parse_both(h.get_feed(client, path)))[meeting.uid]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    assert str(event["SUMMARY"]).startswith("INSTÄLLT: ")
    clock.set(clock.now() + timedelta(days=30))
    assert meeting.uid in h.events(h.parse_both(h.get_feed(client, path)))
    clock.set(clock.now() + timedelta(days=1))  # no change in the data: the date moved on
    assert meeting.uid not in h.events(h.parse_both(h.get_feed(client, path)))


def test_window_back_and_ahead(client: FlaskClient, seeded: Db, clock: FixedClock) -> None:
    now = clock.now()
    inside = h.book(seeded, now, starts_at=datetime(2028, 5, 2, 11, 0, tzinfo=UTC))
    beyond = h.book(seeded, now, starts_at=datetime(2028, 6, 6, 11, 0, tzinfo=UTC))
    path = h.url(seeded, "forum", inside.case.forum_id, now)
    uids = h.events(h.parse_both(h.get_feed(client, path)))
    assert inside.uid in uids and beyond.uid not in uids
    clock.set(datetime(2028, 6, 28, 8, 0, tzinfo=UTC))  # 57 days after the first: still shown
    uids = h.events(h.parse_both(h.get_feed(client, path)))
    assert inside.uid in uids and beyond.uid in uids
    clock.set(datetime(2028, 7, 2, 8, 0, tzinfo=UTC))  # 61 days after: dropped
    assert inside.uid not in h.events(h.parse_both(h.get_feed(client, path)))


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [("2027-03-16", 12), ("2027-03-30", 11), ("2027-10-26", 11), ("2027-11-09", 12)],
)
def test_daylight_saving_weeks_stay_at_13_local(
    client: FlaskClient, seeded: Db, clock: FixedClock, day: str, utc_hour: int
) -> None:
    meeting = h.book(seeded, clock.now(), slot=h.slot_on(seeded, day))
    data = h.get_feed(client, h.url(seeded, "case", meeting.case_id, clock.now()))
    compact = day.replace("-", "")
    assert f"DTSTART;TZID=Europe/Stockholm:{compact}T130000" in h.unfolded(data)
    event = h.events(h.parse_both(data))[meeting.uid]
    assert event.decoded("DTSTART").astimezone(UTC).hour == utc_hour
    start = _vobject_start(data, meeting.uid)  # through the feed's VTIMEZONE rules
    assert (start.hour, start.astimezone(UTC).hour) == (13, utc_hour)


@pytest.mark.parametrize(
    ("starts", "offset_hours"),
    [(datetime(2040, 6, 12, 11, 0, tzinfo=UTC), 2), (datetime(2040, 1, 10, 12, 0, tzinfo=UTC), 1)],
)
def test_meeting_in_2040_keeps_its_offset(
    app: Flask,
    client: FlaskClient,
    seeded: Db,
    clock: FixedClock,
    starts: datetime,
    offset_hours: int,
) -> None:
    policies = app.extensions["policies"]
    app.extensions["policies"] = replace(
        policies, feeds=replace(policies.feeds, months_ahead=12 * 15)
    )
    meeting = h.book(seeded, clock.now(), starts_at=starts)
    data = h.get_feed(client, h.url(seeded, "case", meeting.case_id, clock.now()))
    start = _vobject_start(data, meeting.uid)
    assert start.hour == 13
    assert start.utcoffset() == timedelta(hours=offset_hours)
    assert h.events(h.parse_both(data))[meeting.uid].decoded("DTSTART") == starts


# ---------------------------------------------------------------- HTTP


def test_etag_304_last_modified_gzip_head(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    h.book(seeded, clock.now())
    path = h.url(seeded, "department", h.department(seeded, "stadsbyggnad").id, clock.now())
    first = client.get(path)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert last_modified == "Mon, 30 Nov 2026 08:00:00 GMT"
    assert first.headers["Cache-Control"].startswith("private")

    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    # If-None-Match decides alone when present, even with a current If-Modified-Since.
    both = {"If-None-Match": '"stale"', "If-Modified-Since": last_modified}
    assert client.get(path, headers=both).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": last_modified}).status_code == 304
    old = {"If-Modified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"}
    assert client.get(path, headers=old).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": "garbage"}).status_code == 200

    zipped = client.get(path, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == first.data
    assert zipped.headers["ETag"] == etag and "Accept-Encoding" in zipped.headers["Vary"]
    assert (
        "Content-Encoding" not in client.get(path, headers={"Accept-Encoding": "gzip;q=0"}).headers
    )

    head = client.head(path)
    assert head.status_code == 200 and head.data == b""
    assert int(head.headers["Content-Length"]) == len(first.data)
    assert head.headers["ETag"] == etag

    # Same data, next day: rebuilt, same bytes, same validators.
    clock.set(clock.now() + timedelta(days=1))
    same = client.get(path)
    assert (same.headers["ETag"], same.headers["Last-Modified"]) == (etag, last_modified)

    # A change within the same second still moves Last-Modified forward, and the ETag.
    h.book(seeded, clock.now() - timedelta(days=1))
    changed = client.get(path)
    assert changed.headers["ETag"] != etag
    assert changed.headers["Last-Modified"] == "Tue, 01 Dec 2026 08:00:00 GMT"
    h.book(seeded, clock.now())
    later = client.get(path)
    assert later.headers["Last-Modified"] == "Tue, 01 Dec 2026 08:00:01 GMT"
    assert client.get(path, headers={"If-Modified-Since": last_modified}).status_code == 200


def test_invalidation_book_shows_at_once_and_other_feeds_keep_etag(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    now = clock.now()
    bygg = h.url(seeded, "department", h.department(seeded, "stadsbyggnad").id, now)
    polis = h.url(seeded, "department", h.department(seeded, "polisen").id, now)
    h.book(seeded, now)
    bygg_etag, polis_etag = client.get(bygg).headers["ETag"], client.get(polis).headers["ETag"]

    meeting = h.book(seeded, now, slot=h.slot_on(seeded, "2026-12-22"))
    assert meeting.uid in h.events(h.parse_both(h.get_feed(client, bygg)))
    assert client.get(bygg, headers={"If-None-Match": bygg_etag}).status_code == 200
    assert client.get(polis, headers={"If-None-Match": polis_etag}).status_code == 304
    polis_key = f"department:{h.department(seeded, 'polisen').id}"
    seeded.expire_all()
    assert seeded.get(FeedBody, polis_key).stale is False  # type: ignore[union-attr]


def test_a_change_renders_only_that_meeting_in_the_same_transaction(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    now = clock.now()
    meetings = [h.book(seeded, now, slot=s) for s in h.free_slots(seeded)[:4]]
    path = h.url(seeded, "forum", meetings[0].case.forum_id, now)
    h.get_feed(client, path)
    query = select(FeedEvent.meeting_id, FeedEvent.audience, FeedEvent.ical)
    rows = set(seeded.execute(query).all())
    assert {r.audience for r in rows} == {"department", "representative", "forum", "customer"}
    meetings[1].location = "Digitalt (Teams)"
    meeting_events.meeting_changed(seeded, meetings[1], "updated", now + timedelta(minutes=5))
    # Before the commit is visible to anyone, the new renderings are in place ...
    changed = set(seeded.execute(query).all()) - rows
    assert {(r.meeting_id, r.audience) for r in changed} == {
        (meetings[1].id, a) for a in ("department", "representative", "forum", "customer")
    }
    assert all(b"LOCATION:Digitalt (Teams)" in r.ical for r in changed)
    seeded.commit()
    # ... so the next request assembles stored pieces and shows the change.
    assert "LOCATION:Digitalt (Teams)" in h.unfolded(h.get_feed(client, path))
    assert (
        set(seeded.execute(query).all())
        == (rows - {r for r in rows if r.meeting_id == meetings[1].id}) | changed
    )


def test_department_removed_from_case_leaves_its_feed(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    now = clock.now()
    meeting = h.book(seeded, now, departments=("stadsbyggnad", "brandkar"))
    brand = h.department(seeded, "brandkar")
    path = h.url(seeded, "department", brand.id, now)
    assert meeting.uid in h.events(h.parse_both(h.get_feed(client, path)))
    case = seeded.get(Case, meeting.case_id)
    assert case is not None
    case.departments = [d for d in case.departments if d.slug != "brandkar"]
    for attendee in meeting.attendees:
        if attendee.department_id == brand.id:
            attendee.active = False
    meeting_events.case_changed(seeded, case, now)
    seeded.commit()
    assert meeting.uid not in h.events(h.parse_both(h.get_feed(client, path)))


def test_representative_change_updates_name_in_feeds(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    now = clock.now()
    meeting = h.book(seeded, now)
    rep = seeded.get(Representative, meeting.convener_id)
    assert rep is not None
    rep_path = h.url(seeded, "representative", rep.id, now)
    case_path = h.url(seeded, "case", meeting.case_id, now)
    assert "Anna Lind" in h.unfolded(h.get_feed(client, case_path))
    rep.name = "Anna Lind-Berg"
    meeting_events.representative_changed(seeded, rep, now)
    seeded.commit()
    assert "X-WR-CALNAME:Forum – Anna Lind-Berg" in h.unfolded(h.get_feed(client, rep_path))
    assert "Convener: Anna Lind-Berg" in h.unfolded(h.get_feed(client, case_path))


def test_availability_feed_free_and_booked(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    path = "/feeds/forums/mora/availability.ics"
    first = client.get(path)
    assert first.headers["Cache-Control"].startswith("public")
    slot = h.slot_on(seeded, "2026-12-08")
    uid = f"slot-{slot.id}@forum.test"
    assert "ledig tid" in str(h.events(h.parse_both(first.data))[uid]["SUMMARY"])
    meeting = h.book(seeded, clock.now(), slot=slot, org_name="Hemliga Bolaget AB")
    data = h.get_feed(client, path)
    event = h.events(h.parse_both(data))[uid]
    assert "bokad" in str(event["SUMMARY"]) and str(event["TRANSP"]) == "OPAQUE"
    assert b"Hemliga" not in data and meeting.case.reference.encode() not in data
    assert client.get("/feeds/forums/nowhere/availability.ics").status_code == 404
    later = clock.now() + timedelta(hours=1)
    clock.set(later)
    h.cancel(seeded, meeting, later)
    freed = h.events(h.parse_both(h.get_feed(client, path)))[uid]
    assert "ledig tid" in str(freed["SUMMARY"])
    assert freed.decoded("DTSTAMP") == later.replace(microsecond=0)


def test_feed_rebuild_from_nothing_equals_incremental(
    app: Flask, client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    now = clock.now()
    for slot in h.free_slots(seeded)[:3]:
        h.book(seeded, now, slot=slot)
    path = h.url(seeded, "forum", h.forum(seeded).id, now)
    body = h.get_feed(client, path)
    key = f"forum:{h.forum(seeded).id}"
    seeded.query(FeedEvent).delete()
    seeded.query(FeedBody).delete()
    seeded.commit()
    config = app.extensions["policies"].feeds
    state = rebuild(seeded, key, now, config)
    assert feed_bytes(seeded, key).body == body  # type: ignore[union-attr]
    assert state.etag == client.get(path).headers["ETag"]


def test_booking_service_end_to_end_book_reschedule_cancel(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    """Through the real booking API (issue 3): each step shows at the next GET, same UID."""
    from booking_helpers import case_body, tokens

    coordinator = tokens(seeded, clock)["coordinator"]
    case = client.post("/api/v1/cases", json=case_body(seeded), headers=coordinator).get_json()
    now = clock.now()
    bygg = h.url(seeded, "department", h.department(seeded, "stadsbyggnad").id, now)
    polis = h.url(seeded, "department", h.department(seeded, "polisen").id, now)
    customer = h.url(seeded, "case", case["id"], now)
    polis_etag = client.get(polis).headers["ETag"]
    assert h.events(h.parse_both(h.get_feed(client, bygg))) == {}

    booked = client.post(
        f"/api/v1/cases/{case['id']}/booking", json={"slot": "earliest"}, headers=coordinator
    ).get_json()
    uid = booked["uid"]
    event = h.events(h.parse_both(h.get_feed(client, bygg)))[uid]
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "CONFIRMED"
    assert uid in h.events(h.parse_both(h.get_feed(client, customer)))

    slot = h.slot_on(seeded, "2026-12-22")
    client.post(
        f"/api/v1/meetings/{booked['id']}/reschedule", json={"slot": slot.id}, headers=coordinator
    )
    event = h.events(h.parse_both(h.get_feed(client, bygg)))[uid]
    assert int(event["SEQUENCE"]) == 1 and "20261222T130000" in h.unfolded(event.to_ical())

    client.post(
        f"/api/v1/meetings/{booked['id']}/cancel",
        json={"reason": "Uppskjutet"},
        headers=coordinator,
    )
    for path in (bygg, customer):
        event = h.events(h.parse_both(h.get_feed(client, path)))[uid]
        assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2
    assert client.get(polis, headers={"If-None-Match": polis_etag}).status_code == 304


# ---------------------------------------------------------------- changes outside the booking


def test_cancel_reason_only_in_the_customers_feed(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    """The reason is free text a coordinator types: it may name people, so it is shown where
    the case's description is, never in a subscribed department, representative or forum feed."""
    now = clock.now()
    meeting = h.book(seeded, now, consent=True)
    feeds = h.feeds_showing(seeded, meeting, "stadsbyggnad", now)
    h.cancel(seeded, meeting, now, reason="zqreason Kim Kontakt är sjuk")
    for name, path in feeds.items():
        text = h.unfolded(h.get_feed(client, path))
        assert "STATUS:CANCELLED" in text
        assert ("zqreason" in text) == (name == "case"), name


def test_department_rename_shows_in_every_feed_that_names_it(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    from booking.services import audit
    from booking.services.directory import admin as directory

    now = clock.now()
    # Convened by the other department, so nothing but the rename touches this meeting.
    meeting = h.book(seeded, now, departments=("miljokontoret", "stadsbyggnad"))
    bygg, miljo = h.department(seeded, "stadsbyggnad"), h.department(seeded, "miljokontoret")
    bygg_path = h.url(seeded, "department", bygg.id, now)
    miljo_path = h.url(seeded, "department", miljo.id, now)
    polis_path = h.url(seeded, "department", h.department(seeded, "polisen").id, now)
    etags = {p: client.get(p).headers["ETag"] for p in (bygg_path, miljo_path, polis_path)}

    data = directory.DepartmentData(
        name="Samhällsbyggnad Mora Orsa",
        slug=bygg.slug,
        kind=bygg.kind,
        email=bygg.email,
        areas=list(bygg.responsibility_areas),
        capacity_per_session=bygg.capacity_per_session,
        forum_ids=[f.id for f in bygg.forums],
    )
    directory.save_department(seeded, bygg.id, data, audit.Actor.system("test"), now)

    own = h.unfolded(h.get_feed(client, bygg_path, **{"If-None-Match": etags[bygg_path]}))
    assert "X-WR-CALNAME:Forum – Samhällsbyggnad Mora Orsa" in own
    other = h.unfolded(h.get_feed(client, miljo_path, **{"If-None-Match": etags[miljo_path]}))
    event = h.events(h.parse_both(other.encode()))[meeting.uid]
    assert "Samhällsbyggnad Mora Orsa" in str(event["DESCRIPTION"])
    assert client.get(polis_path, headers={"If-None-Match": etags[polis_path]}).status_code == 304


def test_retention_leaves_no_personal_data_in_stored_feeds_and_stops_the_case_feed(
    client: FlaskClient, seeded: Db, clock: FixedClock
) -> None:
    from booking.domain.vocabulary import CaseStatus
    from booking.services.followup.policy import FollowupPolicy
    from booking.services.followup.retention import run_retention
    from config import Settings

    now = clock.now()
    meeting = h.book(
        seeded,
        now - timedelta(days=3 * 365),
        starts_at=now - timedelta(days=3 * 365 - 20),
        consent_scope=ConsentScope.EXTERNAL,
        org_name="Zqorg Kims Kafé",
        contact_name="Zqname Kim Kontakt",
    )
    case = meeting.case
    dept = h.department(seeded, "stadsbyggnad")
    case_path = h.url(seeded, "case", case.id, now)
    dept_path = h.url(seeded, "department", dept.id, now)
    clock.set(now - timedelta(days=3 * 365 - 25))  # the feeds as they were, built back then
    assert "Zqname" in h.unfolded(h.get_feed(client, case_path))
    assert "Zqorg" in h.unfolded(h.get_feed(client, dept_path))
    clock.set(now)
    case.status, case.closed_at = CaseStatus.CLOSED, now - timedelta(days=3 * 365 - 30)
    seeded.commit()

    report = run_retention(
        seeded,
        now=now,
        settings=FollowupPolicy.from_settings(replace(Settings(), retention_years=2)),
    )
    assert report.cases == [case.reference]

    seeded.expire_all()
    stored = [e.ical for e in seeded.scalars(select(FeedEvent))]
    stored += [gzip.decompress(b.body_gzip) for b in seeded.scalars(select(FeedBody))]
    assert stored and not any(b"Zqorg" in x or b"Zqname" in x for x in stored)
    assert client.get(case_path).status_code == 404
    assert client.get(dept_path).status_code == 200
