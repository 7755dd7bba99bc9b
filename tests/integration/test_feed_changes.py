"""A rebuild brings its remembered member list up to date from the recorded changes
(booking/services/feeds/changes.py), and the result is exactly what reading the whole
membership gives: after random bookings, cancellations, moves, replaced attendees and
departments removed from a case, on both databases."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

import feeds_helpers as h
import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.domain.vocabulary import MeetingStatus
from booking.models import Attendee, Department, Meeting, Representative
from booking.models.feeds import FeedBody, FeedChange
from booking.services.feeds import build, changes
from booking.services.feeds.invalidate import drop_bodies
from booking.services.feeds.membership import feed_query, window_params
from booking.services.feeds.policy import FeedConfig
from booking.services.meetings import events as meeting_events


def _feed_keys(db: Db) -> list[str]:
    return [f"department:{d}" for d in db.scalars(select(Department.id))] + [
        f"representative:{r}" for r in db.scalars(select(Representative.id))
    ]


def _whole(db: Db, key: str, now: datetime, config: FeedConfig) -> list[changes.Member]:
    kind, ident = key.split(":")
    params = {"ident": int(ident), **window_params(build._day_start(now), config)}
    return [
        (at, mid, digest) for mid, digest, at in db.connection().execute(feed_query(kind), params)
    ]


def _booked(db: Db) -> list[Meeting]:
    return list(
        db.scalars(
            select(Meeting).where(Meeting.status != MeetingStatus.CANCELLED).order_by(Meeting.id)
        )
    )


def _replace_an_attendee(db: Db, meeting: Meeting, now: datetime) -> None:
    attendee = next(a for a in meeting.attendees if a.active)
    present = {a.representative_id for a in meeting.attendees}
    deputy = next((r for r in attendee.department.representatives if r.id not in present), None)
    if deputy is None:
        return
    attendee.active = False
    meeting.attendees.append(Attendee(representative=deputy, department=attendee.department))
    db.flush()
    meeting_events.meeting_changed(db, meeting, "attendees", now)
    db.commit()


def _drop_a_department(db: Db, meeting: Meeting, now: datetime) -> None:
    case = meeting.case
    if len(case.departments) < 2:
        return
    gone = case.departments[-1]
    case.departments.remove(gone)
    for attendee in meeting.attendees:
        if attendee.department_id == gone.id:
            attendee.active = False
    db.flush()
    meeting_events.case_changed(db, case, now)
    db.commit()


def _random_change(db: Db, rng: random.Random, now: datetime) -> None:
    booked = _booked(db)
    choice = rng.choice(["book", "cancel", "move", "replace", "drop"]) if booked else "book"
    if choice == "book":
        slots = h.free_slots(db, rng.choice(["mora", "orsa"]))
        departments = rng.sample(["stadsbyggnad", "miljokontoret", "brandkar"], k=2)
        h.book(db, now, slot=rng.choice(slots[:30]), departments=tuple(departments))
    elif choice == "cancel":
        h.cancel(db, rng.choice(booked), now)
    elif choice == "move":
        meeting = rng.choice(booked)
        forum_slug = "mora" if meeting.case.forum.slug == "mora" else "orsa"
        h.reschedule(db, meeting, rng.choice(h.free_slots(db, forum_slug)[:30]), now)
    elif choice == "replace":
        _replace_an_attendee(db, rng.choice(booked), now)
    else:
        _drop_a_department(db, rng.choice(booked), now)


def test_remembered_lists_stay_equal_to_the_whole_query(
    app: Flask, seeded: Db, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = clock.now()
    config: FeedConfig = app.extensions["policies"].feeds
    rng = random.Random(16)
    for _ in range(6):
        _random_change(seeded, rng, now)
    keys = _feed_keys(seeded)
    for key in keys:  # first builds (not remembered: the row is new), then remembered builds
        build.rebuild(seeded, key, now, config)
        seeded.execute(update(FeedBody).where(FeedBody.feed_key == key).values(stale=True))
        seeded.commit()
        build.rebuild(seeded, key, now, config)

    merges: list[int] = []
    whole_reads: list[str] = []
    real_merge, real_query = changes._merge, changes.feed_query

    def counting_merge(*args: object, **kwargs: object) -> list[changes.Member]:
        merges.append(1)
        return real_merge(*args, **kwargs)  # type: ignore[arg-type]

    def counting_query(kind: str, among: bool = False) -> object:
        if not among:
            whole_reads.append(kind)
        return real_query(kind, among)

    monkeypatch.setattr(changes, "_merge", counting_merge)
    monkeypatch.setattr(changes, "feed_query", counting_query)
    for _ in range(40):
        _random_change(seeded, rng, now)
        for key in rng.sample(keys, k=len(keys) // 2):  # some feeds fall several changes behind
            build.rebuild(seeded, key, now, config)
            remembered = changes.memory.get(key)
            assert remembered is not None
            assert remembered.rows == _whole(seeded, key, now, config), key
    # Every stale feed's list was brought up to date, none read whole.
    assert len(merges) > 50 and whole_reads == []

    for key in keys:  # and the bodies are those of a build from nothing
        build.rebuild(seeded, key, now, config)
        merged = seeded.scalar(select(FeedBody.etag).where(FeedBody.feed_key == key))
        changes.memory.forget()
        seeded.execute(update(FeedBody).where(FeedBody.feed_key == key).values(stale=True))
        seeded.commit()
        assert build.rebuild(seeded, key, now, config).etag == merged, key


def test_a_feed_deleted_and_built_again_is_not_taken_for_the_old_one(
    app: Flask, seeded: Db, clock: FixedClock
) -> None:
    """Removing personal data deletes the stored bodies; the row built next starts at
    generation 0 again, like the old one did. A list remembered from the old row must not be
    brought up to date with the new row's records: it lacks what changed while no row was."""
    now = clock.now()
    config: FeedConfig = app.extensions["policies"].feeds
    first = h.book(seeded, now)
    key = f"department:{first.attendees[0].department_id}"
    build.rebuild(seeded, key, now, config)  # new row: generation 0
    seeded.execute(update(FeedBody).where(FeedBody.feed_key == key).values(stale=True))
    seeded.commit()
    build.rebuild(seeded, key, now, config)  # remembered at generation 0
    drop_bodies(seeded, [key])
    seeded.commit()
    while_gone = h.book(seeded, now)  # no row: no generation raised, nothing recorded
    build.rebuild(seeded, key, now, config)  # a new row at generation 0
    h.book(seeded, now)  # generation 1 of the new row, with its one meeting recorded
    build.rebuild(seeded, key, now, config)
    remembered = changes.memory.get(key)
    assert remembered is not None
    assert while_gone.id in [mid for _, mid, _ in remembered.rows]
    assert remembered.rows == _whole(seeded, key, now, config)


def test_an_unrecorded_generation_means_the_whole_list_is_read(seeded: Db) -> None:
    key = "department:1"
    seeded.add_all(
        [
            FeedChange(feed_key=key, generation=1, meeting_id=7),
            FeedChange(feed_key=key, generation=1, meeting_id=8),
            FeedChange(feed_key=key, generation=3, meeting_id=9),
            FeedChange(feed_key=key, generation=4, meeting_id=None),
        ]
    )
    seeded.commit()
    conn = seeded.connection()
    assert changes.changed_since(conn, key, 0, 1) == {7, 8}
    assert changes.changed_since(conn, key, 1, 1) == set()
    assert changes.changed_since(conn, key, 0, 3) is None  # generation 2 has no record
    assert changes.changed_since(conn, key, 2, 3) == {9}
    assert changes.changed_since(conn, key, 2, 4) is None  # "anything may have changed"
    assert changes.changed_since(conn, key, 3, 2) is None  # a row younger than the memory


def test_old_records_are_pruned(app: Flask, seeded: Db, clock: FixedClock) -> None:
    now = clock.now()
    config: FeedConfig = app.extensions["policies"].feeds
    meeting = h.book(seeded, now)
    key = f"case:{meeting.case_id}"
    build.rebuild(seeded, key, now, config)
    for n in range(changes.KEEP_GENERATIONS + changes.PRUNE_EVERY):
        meeting.location = f"Rum {n}"
        meeting_events.meeting_changed(seeded, meeting, "updated", now)
        seeded.commit()
    generations = list(
        seeded.scalars(select(FeedChange.generation).where(FeedChange.feed_key == key))
    )
    top = changes.KEEP_GENERATIONS + changes.PRUNE_EVERY
    assert max(generations) == top
    assert min(generations) == top - changes.KEEP_GENERATIONS + 1


def test_a_new_day_or_new_feed_settings_mean_the_whole_list_is_read(
    app: Flask, seeded: Db, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window moves with the date and with the feed settings: a list remembered for
    another window is no base to merge into."""
    now = clock.now()
    config: FeedConfig = app.extensions["policies"].feeds
    meeting = h.book(seeded, now)
    key = f"case:{meeting.case_id}"
    build.rebuild(seeded, key, now, config)
    seeded.execute(update(FeedBody).where(FeedBody.feed_key == key).values(stale=True))
    seeded.commit()
    build.rebuild(seeded, key, now, config)  # remembered
    row = seeded.execute(
        select(FeedBody.lineage, FeedBody.generation).where(FeedBody.feed_key == key)
    ).one()
    stored = (row.lineage, row.generation)
    whole_reads: list[str] = []
    real_query = changes.feed_query

    def counting_query(kind: str, among: bool = False) -> object:
        if not among:
            whole_reads.append(kind)
        return real_query(kind, among)

    monkeypatch.setattr(changes, "feed_query", counting_query)
    conn = seeded.connection()
    day = build._day_start(now)
    changes.members(conn, key, day, config, stored)
    assert whole_reads == []
    changes.members(conn, key, day + timedelta(days=1), config, stored)
    assert whole_reads == ["case"]
    changes.members(conn, key, day, replace(config, days_back=config.days_back + 1), stored)
    assert whole_reads == ["case", "case"]
