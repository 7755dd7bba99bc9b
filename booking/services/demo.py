"""Demo data: Forum Mora and Forum Orsa with realistic departments (see research/domain.md §2.2).

Names of people are invented; addresses use the reserved .example domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseCategory
from booking.models import (
    Department,
    Forum,
    PausePeriod,
    Representative,
    SessionSeries,
    User,
)
from booking.services.access.users import create_user, hash_password
from booking.services.scheduling.sessions import extend_sessions

DEMO_PASSWORD = "forum-demo-2026"
DEMO_LOGINS = {
    "coordinator": "samordnare@mora.example",
    "admin": "admin@mora.example",
    "representative": "anna.lind@moraorsa.example",
    "viewer": "ledning@mora.example",
    "receiver": "kontaktcenter@mora.example",
}


@dataclass(frozen=True)
class DemoDepartment:
    slug: str
    name: str
    kind: str
    forums: tuple[str, ...]
    areas: tuple[str, ...]
    people: tuple[tuple[str, str, bool], ...]  # name, e-mail, is_deputy


DEPARTMENTS: tuple[DemoDepartment, ...] = (
    DemoDepartment(
        "naringsliv-mora",
        "Näringslivsfunktionen Mora",
        "department",
        ("mora",),
        ("företagslots", "etablering"),
        (
            ("Karin Sjöberg", "karin.sjoberg@mora.example", False),
            ("Johan Ek", "johan.ek@mora.example", False),
            ("Lena Dahl", "lena.dahl@mora.example", True),
        ),
    ),
    DemoDepartment(
        "naringsliv-orsa",
        "Näringsliv Orsa",
        "department",
        ("orsa",),
        ("företagslots", "etablering"),
        (
            ("Per Olsson", "per.olsson@orsa.example", False),
            ("Maria Berg", "maria.berg@orsa.example", True),
        ),
    ),
    DemoDepartment(
        "stadsbyggnad",
        "Stadsbyggnadsförvaltningen Mora Orsa",
        "joint_office",
        ("mora", "orsa"),
        ("bygglov", "detaljplan", "planbesked"),
        (
            ("Anna Lind", "anna.lind@moraorsa.example", False),
            ("Erik Holm", "erik.holm@moraorsa.example", False),
            ("Sara Nyberg", "sara.nyberg@moraorsa.example", True),
        ),
    ),
    DemoDepartment(
        "miljokontoret",
        "Miljökontoret Mora Orsa",
        "joint_office",
        ("mora", "orsa"),
        ("miljö- och hälsoskydd", "livsmedelskontroll", "serveringstillstånd"),
        (
            ("Oskar Falk", "oskar.falk@moraorsa.example", False),
            ("Elin Strand", "elin.strand@moraorsa.example", False),
            ("Nils Åberg", "nils.aberg@moraorsa.example", True),
        ),
    ),
    DemoDepartment(
        "brandkar",
        "Mora Brandkår (räddningstjänst)",
        "department",
        ("mora", "orsa"),
        ("brandskydd", "brandfarlig vara", "explosiva varor"),
        (
            ("Lars Björk", "lars.bjork@morabrandkar.example", False),
            ("Frida Lund", "frida.lund@morabrandkar.example", True),
        ),
    ),
    DemoDepartment(
        "teknik-mora",
        "Tekniska förvaltningen Mora",
        "department",
        ("mora",),
        ("gata och park", "markupplåtelse", "trafikanordningsplan"),
        (("Mats Hed", "mats.hed@mora.example", False), ("Ida Sund", "ida.sund@mora.example", True)),
    ),
    DemoDepartment(
        "teknik-orsa",
        "Samhällsbyggnad Orsa (teknik)",
        "department",
        ("orsa",),
        ("gata och park", "markupplåtelse"),
        (
            ("Gustav Ros", "gustav.ros@orsa.example", False),
            ("Alva Myr", "alva.myr@orsa.example", True),
        ),
    ),
    DemoDepartment(
        "moravatten",
        "Moravatten AB",
        "municipal_company",
        ("mora",),
        ("vatten och avlopp", "dagvatten"),
        (
            ("Henrik Vik", "henrik.vik@moravatten.example", False),
            ("Tove Ås", "tove.as@moravatten.example", True),
        ),
    ),
    DemoDepartment(
        "nodava",
        "Nodava AB (vatten och avfall)",
        "municipal_company",
        ("mora", "orsa"),
        ("avfall", "VA-drift"),
        (
            ("Jonas Berglund", "jonas.berglund@nodava.example", False),
            ("Emma Gran", "emma.gran@nodava.example", True),
        ),
    ),
    DemoDepartment(
        "mora-energi",
        "Mora Energi AB",
        "municipal_company",
        ("mora",),
        ("elanslutning", "fjärrvärme"),
        (
            ("Anders Lövgren", "anders.lovgren@moraenergi.example", False),
            ("Klara Hagström", "klara.hagstrom@moraenergi.example", True),
        ),
    ),
    DemoDepartment(
        "polisen",
        "Polisen, tillståndsenheten",
        "external",
        ("mora", "orsa"),
        ("offentlig plats", "offentlig tillställning"),
        (
            ("Robert Nord", "robert.nord@polisen.example", False),
            ("Sofia Eld", "sofia.eld@polisen.example", True),
        ),
    ),
)


def is_empty(db: Session) -> bool:
    return not db.scalar(select(func.count()).select_from(Forum))


def _demo_pauses() -> list[PausePeriod]:
    """Dalarna's school breaks, set once and repeated every year (the demo works whatever the
    date), and Easter, which moves, for the coming years."""
    yearly = [
        (date(2027, 3, 1), date(2027, 3, 7), "sportlov"),
        (date(2027, 6, 21), date(2027, 8, 15), "sommaruppehåll"),
        (date(2027, 10, 28), date(2027, 11, 3), "höstlov"),
        (date(2026, 12, 23), date(2027, 1, 6), "jul och nyår"),
    ]
    easter = [
        (date(2027, 4, 5), date(2027, 4, 9)),
        (date(2028, 4, 17), date(2028, 4, 21)),
        (date(2029, 4, 2), date(2029, 4, 6)),
        (date(2030, 4, 22), date(2030, 4, 26)),
    ]
    return [PausePeriod(start_date=a, end_date=b, reason=r, yearly=True) for a, b, r in yearly] + [
        PausePeriod(start_date=a, end_date=b, reason="påsklov") for a, b in easter
    ]


def _forums(db: Session) -> dict[str, Forum]:
    mora = Forum(
        slug="mora",
        name="Forum Mora",
        municipality="Mora kommun",
        location="Mora kommunhus, sammanträdesrum Siljan, Fredsgatan 16, Mora",
        organizer_email="forum@mora.example",
    )
    orsa = Forum(
        slug="orsa",
        name="Forum Orsa",
        municipality="Orsa kommun",
        location="Orsa kommunhus, sammanträdesrum Skattungen, Dalagatan 1, Orsa",
        organizer_email="forum@orsa.example",
    )
    db.add_all([mora, orsa])
    db.flush()
    # Mora and Orsa alternate Tuesdays, so the shared offices see one forum a week.
    for forum, anchor in ((mora, date(2026, 12, 8)), (orsa, date(2026, 12, 1))):
        series = SessionSeries(
            forum_id=forum.id,
            name=f"{forum.name} tisdagar",
            anchor_date=anchor,
            interval_days=14,
            start_time=time(13, 0),
            end_time=time(16, 30),
            meeting_minutes=60,
            buffer_minutes=15,
        )
        series.pauses = _demo_pauses()
        db.add(series)
    return {"mora": mora, "orsa": orsa}


def _departments(db: Session, forums: dict[str, Forum]) -> dict[str, Representative]:
    by_email: dict[str, Representative] = {}
    for spec in DEPARTMENTS:
        dept = Department(
            slug=spec.slug,
            name=spec.name,
            kind=spec.kind,
            # The department's shared mailbox (a request handed to it goes there).
            email=f"{spec.slug}@{spec.people[0][1].partition('@')[2]}",
            responsibility_areas=list(spec.areas),
            capacity_per_session=3,
            forums=[forums[f] for f in spec.forums],
        )
        db.add(dept)
        for name, email, deputy in spec.people:
            rep = Representative(
                department=dept,
                name=name,
                email=email,
                calendar_address=f"mailto:{email}",
                is_deputy=deputy,
            )
            db.add(rep)
            by_email[email] = rep
    return by_email


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    return hash_password(DEMO_PASSWORD)


def seed_demo(db: Session, today: date, horizon_months: int = 18) -> bool:
    """Load the demo data into an empty database. Returns False (and does nothing) otherwise."""
    if not is_empty(db):
        return False
    forums = _forums(db)
    reps = _departments(db, forums)
    # All demo logins share one password: hash it once (argon2 is slow on purpose).
    shared = demo_password_hash()
    users = {
        role: create_user(db, DEMO_LOGINS[role], name, role, DEMO_PASSWORD, password_hash=shared)
        for role, name in (
            ("admin", "Administratör Mora"),
            ("coordinator", "Karin Sjöberg"),  # the header adds the role
            ("viewer", "Ledningsgruppen"),
            ("representative", "Anna Lind"),
            ("receiver", "Kontaktcenter Mora"),
        )
    }
    rep_user = users["representative"]
    reps[DEMO_LOGINS["representative"]].user_id = rep_user.id
    db.flush()
    for forum in forums.values():
        extend_sessions(db, forum, today, horizon_months, commit=False)
    _routing_rules(db)
    _category_guides(db, forums.values())
    db.commit()
    return True


# Which departments a request calls for (booking.services.intake.routing): e.g. a restaurant
# (new establishment; food, alcohol, fire, building) → näringsliv, bygg, miljö, räddningstjänst.
DEMO_ROUTING = {
    "category:new_establishment": ("naringsliv-mora", "naringsliv-orsa", "stadsbyggnad"),
    "category:major_change": ("stadsbyggnad",),
    "category:event": ("polisen", "brandkar", "teknik-mora", "teknik-orsa"),
    "question:building": ("stadsbyggnad",),
    "question:food": ("miljokontoret",),
    "question:alcohol": ("miljokontoret",),
    "question:fire": ("brandkar",),
    "question:environment": ("miljokontoret",),
    "question:roads": ("teknik-mora", "teknik-orsa"),
    "question:water": ("moravatten", "nodava"),
    "question:police": ("polisen",),
}


def _routing_rules(db: Session) -> None:
    from booking.services.intake.routing import add_rule

    ids = {d.slug: d.id for d in db.scalars(select(Department))}
    for match, slugs in DEMO_ROUTING.items():
        for slug in slugs:
            add_rule(db, match, ids[slug])


def demo_user(db: Session, role: str) -> User:
    user = db.scalar(select(User).where(User.email == DEMO_LOGINS[role]))
    assert user is not None, "demo data not loaded"
    return user


# What the departments ask and what a business brings, per category (issue 14 §4): a demo
# forum's guides, restaurant-ish for a new establishment (booking.services.preparation.guides).
DEMO_GUIDES: dict[str, tuple[str, str, str, str]] = {
    "new_establishment": (
        "Vad ska verksamheten göra, och när vill ni öppna?\nServeras mat eller alkohol?\n"
        "Hur många gäster eller anställda blir det?",
        "Ritningar\nMeny\nPlanlösning",
        "What will the business do, and when do you want to open?\n"
        "Will food or alcohol be served?\nHow many guests or staff will there be?",
        "Drawings\nMenu\nFloor plan",
    ),
    "major_change": (
        "Vad ändras i lokalen eller verksamheten?\nBehövs bygglov eller ny anmälan?",
        "Ritningar före och efter ändringen\nNuvarande tillstånd",
        "What changes in the premises or the business?\n"
        "Is a building permit or a new notification needed?",
        "Drawings before and after the change\nCurrent permits",
    ),
    "event": (
        "Var och när hålls arrangemanget, och hur många besökare väntas?\n"
        "Behövs avstängda gator eller tillfälliga byggnader?",
        "Situationsplan över området\nTidsplan för bygge, arrangemang och rivning",
        "Where and when is the event, and how many visitors are expected?\n"
        "Are closed streets or temporary structures needed?",
        "Site plan of the area\nSchedule for set-up, the event and take-down",
    ),
}


def _category_guides(db: Session, forums: Iterable[Forum]) -> None:
    from booking.models import CategoryGuide

    for forum in forums:
        for category, (ask, bring, ask_en, bring_en) in DEMO_GUIDES.items():
            db.add(
                CategoryGuide(
                    forum_id=forum.id,
                    category=CaseCategory(category),
                    ask=ask,
                    bring=bring,
                    ask_en=ask_en,
                    bring_en=bring_en,
                )
            )
