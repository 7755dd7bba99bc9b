"""Shared helpers for the API tests: tokens per role, a case body, a DB fingerprint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session as Db

from booking.clock import FixedClock
from booking.db import Base
from booking.models import Department
from booking.services.access.api_tokens import create_token
from booking.services.demo import DEMO_LOGINS


def tokens(db: Db, clock: FixedClock) -> dict[str, dict[str, str]]:
    """role → Authorization header, for the demo users."""
    headers: dict[str, dict[str, str]] = {}
    for role, email in DEMO_LOGINS.items():
        _, secret = create_token(db, email, f"test {role}", now=clock.now())
        headers[role] = {"Authorization": f"Bearer {secret}"}
    return headers


def dept_ids(db: Db, *slugs: str) -> list[int]:
    ids = {d.slug: d.id for d in db.scalars(select(Department))}
    return [ids[s] for s in slugs]


def case_body(db: Db, *slugs: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "forum": "mora",
        "org_name": "Café Siljan AB",
        "org_number": "556036-0793",
        "contact_name": "Eva Ek",
        "contact_email": "eva@cafe.example",
        "contact_phone": "070-123 45 67",
        "category": "new_establishment",
        "description": "Uteservering på Kyrkogatan",
        "responsibility_areas": ["bygglov", "serveringstillstånd"],
        "department_ids": dept_ids(db, *(slugs or ("stadsbyggnad", "miljokontoret"))),
        "confidential": False,
        "consent_to_share": True,
    }
    body.update(extra)
    return body


def fingerprint(db: Db) -> dict[str, int]:
    """Row counts of every table except the API tokens: "nothing changed" means equal."""
    db.rollback()
    counts: dict[str, int] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in ("api_tokens", "idempotency_keys"):
            continue
        counts[table.name] = int(db.scalar(select(func.count()).select_from(table)) or 0)
    db.rollback()
    return counts
