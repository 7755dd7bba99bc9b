"""Which departments a request needs: admin-editable rules "category or question → department",
so that whoever receives a contact, specialist or not, gets the departments right."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import REQUEST_QUESTIONS, CaseCategory
from booking.models import Department, RoutingRule
from booking.services import audit
from booking.services.errors import Invalid, NotFound


def match_keys(category: str, questions: Iterable[str]) -> list[str]:
    return [f"category:{category}", *(f"question:{q}" for q in questions)]


def suggest(
    db: Session, forum_id: int, category: str, questions: Iterable[str]
) -> list[Department]:
    """The active departments of the forum that the request's category and questions call for."""
    keys = match_keys(category, questions)
    wanted = select(RoutingRule.department_id).where(RoutingRule.match.in_(keys))
    departments = db.scalars(
        select(Department).where(Department.id.in_(wanted), Department.active.is_(True))
    )
    return sorted(
        (d for d in departments if any(f.id == forum_id for f in d.forums)), key=lambda d: d.name
    )


def rules(db: Session) -> list[RoutingRule]:
    return list(db.scalars(select(RoutingRule).order_by(RoutingRule.match, RoutingRule.id)))


def valid_match(match: str) -> bool:
    kind, _, value = match.partition(":")
    if kind == "category":
        return value in {c.value for c in CaseCategory}
    return kind == "question" and value in REQUEST_QUESTIONS


def add_rule(db: Session, match: str, department_id: int) -> RoutingRule:
    """Add a rule (no commit); an unknown category or question is refused."""
    if not valid_match(match):
        raise Invalid(f"Unknown rule {match!r}.", {"match": "unknown"}, reason="routing_unknown")
    existing = db.scalar(
        select(RoutingRule).where(
            RoutingRule.match == match, RoutingRule.department_id == department_id
        )
    )
    if existing is not None:
        return existing
    rule = RoutingRule(match=match, department_id=department_id)
    db.add(rule)
    return rule


def create_rule(
    db: Session, match: str, department_id: int, *, actor: audit.Actor, now: datetime
) -> RoutingRule:
    """An administrator adds a rule (an existing one is kept as it is). Commits."""
    department = db.get(Department, department_id)
    if department is None:
        raise Invalid(
            "Choose a department.", {"department_id": "required"}, reason="routing_department"
        )
    rule = add_rule(db, match, department_id)
    db.flush()
    audit.record(
        db, actor, "routing_rule", rule.id, "create", after={"match": match,
        "department_id": department_id}, note=f"{match} → {department.name}", at=now,
    )  # fmt: skip
    db.commit()
    return rule


def remove_rule(db: Session, rule_id: int, *, actor: audit.Actor, now: datetime) -> RoutingRule:
    rule = db.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"No routing rule with id {rule_id}.", {"rule_id": rule_id})
    before = {"match": rule.match, "department_id": rule.department_id}
    db.delete(rule)
    audit.record(db, actor, "routing_rule", rule_id, "delete", before=before, at=now)
    db.commit()
    return rule
