"""Audit trail: every change records who, when, what, before and after."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.models import ApiToken, AuditEvent, User


def jsonable(value: Any) -> Any:
    """Make a snapshot JSON-friendly (dates as ISO strings, enums as values)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    return value


class Actor:
    """Who acts: a logged-in user, an API token's user, or the system (worker, CLI).

    A change made through the API with a token names the token too (``token_id``,
    ``token_name``), so the trail shows which integration acted, not only whose it is.
    """

    def __init__(
        self,
        label: str,
        user: User | None = None,
        *,
        token_id: int | None = None,
        token_name: str | None = None,
    ) -> None:
        self.label = label
        self.user = user
        self.token_id = token_id
        self.token_name = token_name

    @classmethod
    def of(cls, user: User, token: ApiToken | None = None) -> Actor:
        if token is None:
            return cls(user.email, user)
        return cls(user.email, user, token_id=token.id, token_name=token.name)

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        return cls(what, None)

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None


def record(
    db: Session,
    actor: Actor,
    entity_type: str,
    entity_id: int | None,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    case_id: int | None = None,
    note: str = "",
    at: datetime | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor.label,
        actor_user_id=actor.user_id,
        actor_token_id=actor.token_id,
        actor_token_name=actor.token_name,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        case_id=case_id,
        note=note,
    )
    if at is not None:
        event.at = at
    db.add(event)
    return event


def history(db: Session, case_id: int) -> list[AuditEvent]:
    return list(
        db.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.id))
    )
