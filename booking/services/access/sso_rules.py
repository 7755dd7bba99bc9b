"""The administrators' single sign-on role rules: "group X → role", "e-mail domain Y → role"
(the page /admin/sso). Listed, added and removed; every change audited. How they are applied
is booking.services.access.sso."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from booking.domain.vocabulary import Role, SsoMatch
from booking.models import SsoRoleRule
from booking.services import audit
from booking.services.errors import Conflict, Invalid, NotFound
from booking.services.inputs import control_characters

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def _snapshot(rule: SsoRoleRule) -> dict[str, Any]:
    return {"kind": rule.kind, "value": rule.value, "role": rule.role}


def list_rules(db: Session) -> list[SsoRoleRule]:
    """Every rule: groups first, then e-mail domains, each by value."""
    return list(db.scalars(select(SsoRoleRule).order_by(SsoRoleRule.kind, SsoRoleRule.value)))


def _clean_value(kind: SsoMatch, value: str) -> str:
    value = value.strip()
    if not value:
        raise Invalid(
            "Enter the group or the e-mail domain.",
            {"value": "required"},
            reason="sso_rule_value_required",
        )
    if len(value) > 320 or control_characters(value):
        raise Invalid(
            "The value is too long or holds control characters.",
            {"value": "invalid"},
            reason="sso_rule_value_invalid",
        )
    if kind == SsoMatch.EMAIL_DOMAIN:
        value = value.lower().removeprefix("@")
        if not _DOMAIN.match(value):
            raise Invalid(
                f"{value!r} is not an e-mail domain; write it as mora.se.",
                {"value": value},
                reason="sso_rule_bad_domain",
            )
    return value


def add_rule(
    db: Session, kind: SsoMatch, value: str, role: Role, *, actor: audit.Actor, now: datetime
) -> SsoRoleRule:
    """Add a rule; the same group or domain twice is refused (change it by removing it)."""
    value = _clean_value(kind, value)
    existing = db.scalar(
        select(SsoRoleRule).where(SsoRoleRule.kind == kind, SsoRoleRule.value == value)
    )
    if existing is not None:
        raise Conflict(
            f"There is already a rule for {value} ({existing.role}); remove it first.",
            {"value": value, "role": existing.role.value},
            reason="sso_rule_exists",
        )
    rule = SsoRoleRule(kind=kind, value=value, role=role)
    db.add(rule)
    try:
        db.flush()
    except IntegrityError as exc:  # another administrator added the same rule just now
        db.rollback()
        raise Conflict(
            f"There is already a rule for {value}; reload the page.",
            {"value": value},
            reason="sso_rule_exists",
        ) from exc
    audit.record(
        db,
        actor,
        "sso_role_rule",
        rule.id,
        "create",
        after=_snapshot(rule),
        note=f"{kind.value} {value} → {role.value}",
        at=now,
    )
    db.commit()
    return rule


def remove_rule(db: Session, rule_id: int, *, actor: audit.Actor, now: datetime) -> SsoRoleRule:
    rule = db.get(SsoRoleRule, rule_id)
    if rule is None:
        raise NotFound(f"No single sign-on rule with id {rule_id}.", {"rule_id": rule_id})
    before = _snapshot(rule)
    db.delete(rule)
    audit.record(
        db,
        actor,
        "sso_role_rule",
        rule_id,
        "delete",
        before=before,
        note=f"{rule.kind.value} {rule.value} → {rule.role.value}",
        at=now,
    )
    db.commit()
    return rule
