"""Case rules: the status life cycle, who the customer is, Swedish organisation numbers, case
references.

Pure. The statuses are those of ``booking.domain.vocabulary.CaseStatus`` (a StrEnum, so equal
to their stored string values).
"""

from __future__ import annotations

import re
from typing import Protocol

from booking.domain.vocabulary import BUSINESS_CATEGORIES, CaseCategory, CaseStatus

RECEIVED = CaseStatus.RECEIVED
BOOKED = CaseStatus.BOOKED
CONFIRMED = CaseStatus.CONFIRMED
HELD = CaseStatus.HELD
FOLLOW_UP = CaseStatus.FOLLOW_UP
CLOSED = CaseStatus.CLOSED
CANCELLED = CaseStatus.CANCELLED

# received → booked → confirmed → held → follow-up → closed; cancelled from any open state.
# booked/confirmed → received: the meeting was cancelled and the case waits for a new booking.
# confirmed → booked: a reschedule asks every attendee to answer again.
# booked → held: a meeting can take place before everyone has confirmed.
TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({BOOKED, CANCELLED}),
    BOOKED: frozenset({CONFIRMED, HELD, RECEIVED, CANCELLED}),
    CONFIRMED: frozenset({HELD, BOOKED, RECEIVED, CANCELLED}),
    HELD: frozenset({FOLLOW_UP, CLOSED, CANCELLED}),
    FOLLOW_UP: frozenset({CLOSED, CANCELLED}),
    CLOSED: frozenset(),
    CANCELLED: frozenset(),
}
STATUSES: tuple[str, ...] = tuple(TRANSITIONS)
OPEN_STATUSES: frozenset[str] = frozenset(s for s, nxt in TRANSITIONS.items() if nxt)
# Statuses in which the case has a live (not cancelled) meeting.
WITH_MEETING: frozenset[str] = frozenset({BOOKED, CONFIRMED, HELD})


class TransitionError(ValueError):
    """An illegal status change; the message names what is allowed instead."""


def allowed_next(current: str) -> frozenset[str]:
    if current not in TRANSITIONS:
        raise TransitionError(f"Unknown case status {current!r}.")
    return TRANSITIONS[current]


def check_transition(current: str, new: str) -> None:
    """Raise TransitionError unless ``current → new`` is allowed."""
    if new not in TRANSITIONS:
        raise TransitionError(f"Unknown case status {new!r}; use one of {', '.join(STATUSES)}.")
    nxt = allowed_next(current)
    if new in nxt:
        return
    if not nxt:
        raise TransitionError(f"The case is {current}; a {current} case cannot change status.")
    raise TransitionError(
        f"A case cannot go from {current} to {new}; "
        f"from {current} it can go to {', '.join(sorted(nxt))}."
    )


# ---------------------------------------------------------------- the customer


class _HasCategory(Protocol):
    @property
    def category(self) -> CaseCategory | str: ...


# The case's fields that describe its customer: a case without a customer keeps them empty.
CUSTOMER_FIELDS: tuple[str, ...] = ("org_number", "contact_name", "contact_email", "contact_phone")


def has_customer(case_or_category: _HasCategory | CaseCategory | str) -> bool:
    """Whether a case (or a case of this category) has a customer: a business behind it who is
    written to, has a case page, is asked for NKI and follows the timeline. "Forum internt"
    (the forum's own matters) has none. Everything customer-facing asks this, and only this."""
    subject = case_or_category
    category = subject if isinstance(subject, str) else subject.category
    return CaseCategory(category) in BUSINESS_CATEGORIES


def customer_problems(category: CaseCategory | str, fields: dict[str, str]) -> dict[str, str]:
    """What is wrong with a case's customer fields for its category, field → reason:
    a business case names its organisation ("org_name_required"), an internal one its matter
    in a short title ("title_required"); a case without a customer has no organisation number
    and no contact ("no_customer")."""
    customer = has_customer(category)
    problems = {
        name: "no_customer"
        for name in CUSTOMER_FIELDS
        if not customer and fields.get(name, "").strip()
    }
    if not fields.get("org_name", "").strip():
        problems["org_name"] = "org_name_required" if customer else "title_required"
    return problems


# ---------------------------------------------------------------- organisation numbers

_ORG_RE = re.compile(r"^(\d{2})?(\d{6})[-+]?(\d{4})$")


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by Swedish organisation and personal identity numbers."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def normalise_org_number(raw: str) -> str:
    """``5560360793`` or ``16556036-0793`` → ``556036-0793``; raise ValueError when invalid.

    Accepts 10 digits (with or without the hyphen) or 12 digits with a century prefix
    (16 for legal entities, 19/20 for a sole trader's personal identity number).
    """
    text = re.sub(r"\s+", "", raw)
    match = _ORG_RE.match(text)
    if match is None:
        raise ValueError(
            f"{raw!r} is not a Swedish organisation number; write ten digits as NNNNNN-NNNN."
        )
    prefix, head, tail = match.groups()
    if prefix is not None and prefix not in {"16", "19", "20"}:
        raise ValueError(
            f"{raw!r} has a 12-digit form with an unknown prefix {prefix}; "
            "use 16 (legal entity), 19 or 20, or write the ten digits only."
        )
    digits = head + tail
    if int(digits[2:4]) < 20 and prefix == "16":
        raise ValueError(
            f"{raw!r}: a legal entity's organisation number has 20 or more in digits 3-4."
        )
    if not luhn_valid(digits):
        raise ValueError(
            f"{raw!r} is not a valid Swedish organisation number: the check digit is wrong "
            "(check for a typing error)."
        )
    return f"{head}-{tail}"


# ---------------------------------------------------------------- references


def case_reference(prefix: str, year: int, number: int) -> str:
    """A stable, non-personal reference such as ``MORA-2026-0042``."""
    ascii_prefix = prefix.upper().translate(str.maketrans("ÅÄÖÉÜ", "AAOEU"))
    clean = re.sub(r"[^A-Z0-9]", "", ascii_prefix)[:12] or "F"
    return f"{clean}-{year:04d}-{number:04d}"


def reference_number(reference: str) -> int:
    """The running number of a reference (0 when it is not in our format)."""
    tail = reference.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0
