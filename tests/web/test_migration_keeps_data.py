"""Migrations keep the data of the tables they copy (SQLite batch mode).

0014 widens CHECK constraints by copying `users`, `cases` and `contact_requests` on SQLite;
with foreign keys on, dropping the old `cases` would cascade to every meeting and attendee.
The hazard is SQLite's own (PostgreSQL changes a constraint in place), so this test runs on a
file of its own rather than on the shared test databases."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import delete, func, select
from webhelpers import book_directly

from booking import migrate
from booking.clock import FixedClock
from booking.db import make_engine, make_session_factory
from booking.domain.vocabulary import Role
from booking.models import AgendaDelivery, Attendee, Case, CaseDepartment, Meeting, Slot, User
from booking.services.demo import seed_demo
from booking.services.policies import Policies
from config import Settings

COUNTED = (Case, CaseDepartment, Meeting, Attendee, Slot, User)


def test_a_downgrade_and_upgrade_keep_every_meeting(tmp_path: Path, clock: FixedClock) -> None:
    url = f"sqlite:///{tmp_path / 'data.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    policies = Policies.from_settings(Settings())
    factory = make_session_factory(engine, clock, policies)
    try:
        with factory() as db:
            assert seed_demo(db, clock.now().date(), 3)
            book_directly(db)
            # 0013 knows no receivers: the downgrade below would refuse the demo's one.
            db.execute(delete(User).where(User.role == Role.RECEIVER))
            db.commit()
            before = {m.__name__: db.scalar(select(func.count()).select_from(m)) for m in COUNTED}
        assert before["Meeting"] == 1 and before["Attendee"] >= 4
        command.downgrade(migrate.alembic_config(url), "0013_intake")
        migrate.upgrade(url)
        with factory() as db:
            after = {m.__name__: db.scalar(select(func.count()).select_from(m)) for m in COUNTED}
    finally:
        engine.dispose()
    assert after == before


def test_0016_records_who_got_an_agenda_already_sent(tmp_path: Path, clock: FixedClock) -> None:
    """An afternoon whose agenda went out before 0016: its attending addresses are recorded as
    having got it, so the new per-address sending does not mail them again."""
    url = f"sqlite:///{tmp_path / 'agenda.sqlite3'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine, clock, Policies.from_settings(Settings()))
    try:
        with factory() as db:
            assert seed_demo(db, clock.now().date(), 3)
            meeting = book_directly(db)
            session = db.get(Slot, meeting.slot_id).session  # type: ignore[union-attr]
            session.agenda_sent_at = clock.now()
            attending = {
                a.representative.email.strip().lower() for a in meeting.attendees if a.active
            }
            db.commit()
        command.downgrade(migrate.alembic_config(url), "0015_feed_change_notify")
        migrate.upgrade(url)
        with factory() as db:
            recorded = set(db.scalars(select(AgendaDelivery.address)))
    finally:
        engine.dispose()
    assert recorded == attending and len(attending) >= 2
