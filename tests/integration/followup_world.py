"""A small world for the follow-through tests, built directly with the models.

(The booking service is another issue's work; these tests create cases and meetings the way it
stores them, so they test minutes, follow-ups, surveys, statistics and retention on their own.)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseCategory, CaseStatus, MeetingStatus, PartStat, Role
from booking.models import Attendee, Case, Department, Forum, Meeting, Representative, User
from booking.services.audit import Actor

_seq = itertools.count(1)


@dataclass
class World:
    forum: Forum
    departments: dict[str, Department]
    reps: dict[str, Representative]
    users: dict[str, User] = field(default_factory=dict)

    def actor(self, who: str) -> Actor:
        return Actor.of(self.users[who])


def _user(db: Session, email: str, role: Role) -> User:
    user = User(email=email, name=email.split("@")[0], role=role)
    db.add(user)
    db.flush()
    return user


def make_world(db: Session) -> World:
    forum = Forum(slug="mora", name="Forum Mora", municipality="Mora kommun", location="Siljan")
    db.add(forum)
    departments: dict[str, Department] = {}
    reps: dict[str, Representative] = {}
    for slug, name in (
        ("bygg", "Bygg och miljö"),
        ("naring", "Näringslivsfunktionen"),
        ("raddning", "Räddningstjänsten"),
    ):
        dep = Department(slug=slug, name=name, email=f"{slug}@mora.example", forums=[forum])
        db.add(dep)
        rep = Representative(department=dep, name=f"Rep {name}", email=f"rep.{slug}@mora.example")
        db.add(rep)
        departments[slug] = dep
        reps[slug] = rep
    db.flush()
    world = World(forum, departments, reps)
    for role in Role:
        world.users[role.value] = _user(db, f"{role.value}@mora.example", role)
    # The convener and the minute-taker log in as representatives.
    world.users["convener"] = _user(db, "convener@mora.example", Role.REPRESENTATIVE)
    world.users["taker"] = _user(db, "taker@mora.example", Role.REPRESENTATIVE)
    reps["naring"].user_id = world.users["convener"].id
    reps["bygg"].user_id = world.users["taker"].id
    db.commit()
    return world


def make_case(
    db: Session,
    world: World,
    *,
    received_at: datetime,
    meeting_at: datetime | None,
    category: CaseCategory = CaseCategory.NEW_ESTABLISHMENT,
    status: CaseStatus = CaseStatus.CONFIRMED,
    meeting_status: MeetingStatus = MeetingStatus.CONFIRMED,
    departments: tuple[str, ...] = ("bygg", "naring"),
    partstats: dict[str, PartStat] | None = None,
    replied_after: timedelta = timedelta(hours=24),
    contact_email: str = "kund@foretag.example",
) -> Case:
    number = next(_seq)
    case = Case(
        forum_id=world.forum.id,
        reference=f"F-T-{number:04d}",
        org_name=f"Företag {number} AB",
        org_number="556677-8899",
        contact_name="Kim Kund",
        contact_email=contact_email,
        contact_phone="070-123 45 67",
        category=category,
        description="Vill etablera en verkstad på Noret 1:23",
        status=status,
        received_at=received_at,
        created_at=received_at,
        updated_at=received_at,
        departments=[world.departments[d] for d in departments],
    )
    db.add(case)
    db.flush()
    if meeting_at is not None:
        meeting = Meeting(
            case_id=case.id,
            uid=f"meeting-{number}@test",
            status=meeting_status,
            starts_at=meeting_at,
            ends_at=meeting_at + timedelta(hours=1),
            location="Siljan",
            convener_id=world.reps["naring"].id,
            minute_taker_id=world.reps["bygg"].id,
            created_at=received_at,
            updated_at=received_at,
        )
        db.add(meeting)
        db.flush()
        invited = received_at + timedelta(hours=1)
        for slug in departments:
            stat = (partstats or {}).get(slug, PartStat.ACCEPTED)
            db.add(
                Attendee(
                    meeting_id=meeting.id,
                    representative_id=world.reps[slug].id,
                    department_id=world.departments[slug].id,
                    partstat=stat,
                    invited_at=invited,
                    replied_at=None if stat == PartStat.NEEDS_ACTION else invited + replied_after,
                )
            )
    db.commit()
    return case
