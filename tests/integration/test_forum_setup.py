"""A municipality sets up its forum from an empty database (issue 15): the first run, forums,
series with a preview, pauses; a change never moves an afternoon that holds a meeting."""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.domain.vocabulary import Role, SessionStatus
from booking.models import AuditEvent, Forum, SessionSeries, User
from booking.models import Session as ForumSession
from booking.services.audit import Actor
from booking.services.errors import Conflict, Invalid
from booking.services.scheduling import pauses as pause_service
from booking.services.scheduling import series as series_service
from booking.services.scheduling.first_run import FirstRun, first_run, needs_setup
from booking.services.scheduling.forums import ForumData, save_forum

HORIZON = 12


def _first_run(db: Session, clock: FixedClock) -> tuple[User, Forum]:
    data = FirstRun(
        admin_email="it@orsa.example",
        admin_name="Ingrid IT",
        password="orsa-forum-2027",
        forum=ForumData(name="Forum Orsa", slug="orsa", municipality="Orsa kommun"),
    )
    return first_run(db, data, clock.now(), HORIZON)


def _sessions(db: Session, forum: Forum) -> list[ForumSession]:
    return list(
        db.scalars(
            select(ForumSession)
            .where(ForumSession.forum_id == forum.id)
            .order_by(ForumSession.local_date)
        )
    )


def _count(db: Session, model: object) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]


def test_first_run_creates_the_administrator_and_a_forum_with_its_tuesdays(
    db: Session, clock: FixedClock
) -> None:
    assert needs_setup(db)
    admin, forum = _first_run(db, clock)
    assert admin.role == Role.ADMIN and not needs_setup(db)
    held = [s for s in _sessions(db, forum) if s.status == SessionStatus.SCHEDULED]
    assert held and all(s.local_date.weekday() == 1 for s in held)
    gaps = {(b.local_date - a.local_date).days for a, b in itertools.pairwise(held)}
    assert gaps <= {14, 28}  # every other Tuesday (a holiday skip doubles one gap)
    assert held[0].local_date > clock.now().date()
    # The second time is refused, and nothing more is written.
    users = _count(db, User)
    with pytest.raises(Conflict) as refused:
        _first_run(db, clock)
    assert refused.value.reason == "already_set_up"
    db.rollback()
    assert _count(db, User) == users


def test_a_forum_with_a_taken_slug_or_an_unknown_zone_is_refused(
    db: Session, clock: FixedClock
) -> None:
    admin, _ = _first_run(db, clock)
    actor = Actor.of(admin)
    with pytest.raises(Conflict):
        save_forum(db, None, ForumData("Andra", "orsa", "Orsa kommun"), actor, clock.now())
    db.rollback()
    with pytest.raises(Invalid) as bad:
        save_forum(
            db,
            None,
            ForumData("Forum Mora", "mora", "Mora kommun", timezone="Europe/Mora"),
            actor,
            clock.now(),
        )
    assert bad.value.details == {"timezone": "unknown_timezone"}
    db.rollback()
    assert _count(db, Forum) == 1


def _series_data(**change: object) -> series_service.SeriesData:
    values: dict[str, object] = {
        "weekday": 1,
        "anchor_date": date(2026, 12, 8),
        "every_weeks": 2,
        "start_time": time(13, 0),
        "end_time": time(16, 30),
    }
    values.update(change)
    return series_service.SeriesData(**values)  # type: ignore[arg-type]


def test_preview_writes_nothing_and_names_skipped_dates(db: Session, clock: FixedClock) -> None:
    _admin, forum = _first_run(db, clock)
    before = _count(db, ForumSession)
    shown = series_service.preview(db, forum, _series_data(), clock.now().date())
    assert _count(db, ForumSession) == before
    skipped = {s.local_date: s.skipped_reason for s in shown.sessions if s.skipped}
    held = {s.local_date for s in shown.sessions if not s.skipped}
    assert date(2026, 12, 8) in held
    assert skipped and all(skipped.values())  # every skipped date says why
    assert shown.held > 20
    assert shown.sessions[-1].local_date <= clock.now().date() + timedelta(days=18 * 31)


def test_a_series_change_leaves_booked_afternoons_and_removes_the_empty_ones(
    db: Session, clock: FixedClock
) -> None:
    from invitation_data import book_meeting, make_world

    world = make_world(db, slots=2, start=date(2026, 12, 15))  # weekly Tuesdays in "mora"
    admin = User(email="a@mora.example", name="A", role=Role.ADMIN)
    db.add(admin)
    db.commit()
    meeting = book_meeting(db, world, clock.now(), slot_index=0)
    booked_day = meeting.starts_at.date()
    series = db.scalars(select(SessionSeries).where(SessionSeries.forum_id == world.forum.id)).one()
    # Move the series to Wednesdays: the booked Tuesday stays; the empty Tuesdays go.
    data = _series_data(weekday=2, anchor_date=date(2026, 12, 16), every_weeks=1)
    shown = series_service.preview(db, world.forum, data, clock.now().date(), series_id=series.id)
    assert shown.booked_left_alone == [booked_day]
    _, result = series_service.save_series(
        db, world.forum, series.id, data, Actor.of(admin), clock.now(), HORIZON
    )
    assert result.kept_booked_dates == [booked_day]
    days = {
        s.local_date.weekday() for s in _sessions(db, world.forum) if s.local_date != booked_day
    }
    assert days == {2}
    assert booked_day in {s.local_date for s in _sessions(db, world.forum)}
    trail = db.scalar(select(AuditEvent).where(AuditEvent.entity_type == "series"))
    assert trail is not None and trail.after["kept_booked"] == [booked_day.isoformat()]


def test_pauses_skip_afternoons_once_or_every_year_and_may_not_overlap(
    db: Session, clock: FixedClock
) -> None:
    admin, forum = _first_run(db, clock)
    actor = Actor.of(admin)
    series = forum.series[0]
    first = next(s for s in _sessions(db, forum) if s.status == SessionStatus.SCHEDULED)
    pause, result = pause_service.add_pause(
        db,
        series.id,
        first.local_date - timedelta(days=1),
        first.local_date + timedelta(days=1),
        "höstlov",
        True,
        actor,
        clock.now(),
        HORIZON,
    )
    db.expire_all()
    again = db.get(ForumSession, first.id)
    assert again is not None and again.status == SessionStatus.SKIPPED
    assert again.reason == "höstlov" and result.kept_booked_dates == []
    with pytest.raises(Conflict) as clash:
        pause_service.add_pause(
            db,
            series.id,
            first.local_date + timedelta(days=365),
            first.local_date + timedelta(days=366),
            "extra",
            False,
            actor,
            clock.now(),
            HORIZON,
        )
    assert clash.value.reason == "pauses_overlap"
    db.rollback()
    with pytest.raises(Invalid):
        pause_service.add_pause(
            db,
            series.id,
            date(2027, 5, 2),
            date(2027, 5, 1),
            "bakvänt",
            False,
            actor,
            clock.now(),
            HORIZON,
        )
    db.rollback()
    pause_service.remove_pause(db, pause.id, actor, clock.now(), HORIZON)
    db.expire_all()
    held = db.get(ForumSession, first.id)
    assert held is not None and held.status == SessionStatus.SCHEDULED and held.slots


def test_flask_forum_setup_from_the_command_line(app: object, db: Session) -> None:
    runner = app.test_cli_runner()  # type: ignore[attr-defined]
    args = [
        "forum", "setup",
        "--admin-email", "it@orsa.example", "--admin-name", "Ingrid IT",
        "--password", "orsa-forum-2027",
        "--forum-name", "Forum Orsa", "--forum-slug", "orsa", "--municipality", "Orsa kommun",
    ]  # fmt: skip
    done = runner.invoke(args=args)
    assert done.exit_code == 0, done.output
    assert "forum Forum Orsa (orsa) created" in done.output
    again = runner.invoke(args=args)
    assert again.exit_code == 1 and "already set up" in again.output
    assert _count(db, User) == 1
