"""Small pieces the follow-through services share: e-mail via the outbox, local dates, access."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseStatus, Role
from booking.models import Case, OutboxMessage
from booking.services.audit import Actor
from booking.services.cases.registry import apply_transition
from booking.services.errors import Forbidden
from booking.services.invitations import outbox

SV_MONTHS = [
    *("januari", "februari", "mars", "april", "maj", "juni"),
    *("juli", "augusti", "september", "oktober", "november", "december"),
]
SV_DAYS = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]

STAFF_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})


def local_date(at: datetime, timezone: str) -> date:
    return at.astimezone(ZoneInfo(timezone)).date()


def sv_date(day: date) -> str:
    """ "tisdag 10 mars 2026, v. 11" (DESIGN §3.8)."""
    week = day.isocalendar().week
    return f"{SV_DAYS[day.weekday()]} {day.day} {SV_MONTHS[day.month - 1]} {day.year}, v. {week}"


def sv_datetime(at: datetime, timezone: str) -> str:
    local = at.astimezone(ZoneInfo(timezone))
    return f"{sv_date(local.date())} kl. {local:%H.%M}"


def require_staff(actor: Actor, what: str) -> None:
    """Coordinators and administrators manage the follow-through."""
    if actor.user is None or actor.user.role not in STAFF_ROLES:
        raise Forbidden(f"Only a coordinator or an administrator may {what}.", reason="staff_only")


def enqueue_email(
    db: Session,
    *,
    to: str,
    subject: str,
    text: str,
    now: datetime,
    html_body: str | None = None,
    meeting_id: int | None = None,
    ics: str | None = None,
) -> OutboxMessage:
    """One e-mail to one recipient, delivered by the worker after the commit (the outbox's
    generic e-mail kind; the HTML part made from the text unless given)."""
    return outbox.enqueue_email(
        db,
        now,
        to=to,
        subject=subject,
        text=text,
        html=html_body if html_body is not None else text_to_html(text),
        ics=ics,
        meeting_id=meeting_id,
    )


def text_to_html(text: str) -> str:
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    body = "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )
    return f'<!doctype html><html lang="sv"><body>{body}</body></html>'


def unique_addresses(addresses: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        clean = address.strip()
        if clean and "@" in clean and clean.lower() not in seen:
            seen[clean.lower()] = clean
    return list(seen.values())


# The follow-through's moves, each allowed by the case life cycle (booking.domain.cases):
# a booked or confirmed case is held once its meeting is over, then followed up, then closed.
NEXT_STEP = {
    CaseStatus.BOOKED: CaseStatus.HELD,
    CaseStatus.CONFIRMED: CaseStatus.HELD,
    CaseStatus.HELD: CaseStatus.FOLLOW_UP,
    CaseStatus.FOLLOW_UP: CaseStatus.CLOSED,
}
ORDER = (CaseStatus.HELD, CaseStatus.FOLLOW_UP, CaseStatus.CLOSED)


def move_case(
    db: Session, case: Case, target: CaseStatus, actor: Actor, now: datetime, note: str = ""
) -> bool:
    """Walk the case forward to `target` (held → follow-up → closed); False if it cannot.

    A held case may be closed directly (nothing to follow up).
    """
    if case.status not in NEXT_STEP or target not in ORDER:
        return False
    if case.status in ORDER and ORDER.index(case.status) >= ORDER.index(target):
        return False
    while case.status != target:
        direct = case.status == CaseStatus.HELD and target == CaseStatus.CLOSED
        _transition(db, case, target if direct else NEXT_STEP[case.status], actor, now, note)
    return True


def _transition(
    db: Session, case: Case, step: CaseStatus, actor: Actor, now: datetime, note: str
) -> None:
    # The case life cycle owns the move (audit, meeting status, feeds); the caller commits.
    apply_transition(db, case.id, step, actor, now=now, note=note)
