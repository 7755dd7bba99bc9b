"""Who may do what, and how much of a case each role may see.

One table for the whole UI, so a template hides a button with the same rule the view enforces.
Confidentiality follows the feeds' rule (DESIGN.md §3.6): the customer's personal data is for
coordinators and administrators; participants see the case only when the customer consented to
share it and it is not confidential; management sees the same of such cases, never the
customer's personal data.
"""

from __future__ import annotations

from enum import Enum

from booking.models import Case, Role, User

ADMIN, COORD, REP, VIEWER = Role.ADMIN, Role.COORDINATOR, Role.REPRESENTATIVE, Role.VIEWER

PERMISSIONS: dict[str, frozenset[Role]] = {
    "view_overview": frozenset({ADMIN, COORD, VIEWER, REP}),
    "view_cases": frozenset({ADMIN, COORD, VIEWER}),
    "edit_cases": frozenset({ADMIN, COORD}),
    "book": frozenset({ADMIN, COORD}),
    "record_reply": frozenset({ADMIN, COORD}),
    "view_directory": frozenset({ADMIN, COORD, VIEWER}),
    "manage_directory": frozenset({ADMIN}),
    "manage_absences": frozenset({ADMIN, COORD}),
    "manage_sessions": frozenset({ADMIN, COORD}),
    "manage_users": frozenset({ADMIN}),
    "my_meetings": frozenset({REP}),
}


def can(user: User | None, permission: str) -> bool:
    if user is None or not user.active:
        return False
    return user.role in PERMISSIONS[permission]


class Visibility(Enum):
    FULL = "full"  # everything, including the customer's contact details
    SHARED = "shared"  # organisation, category, description; no contact details
    REFERENCE = "reference"  # "Forum – sekretess" and the reference only


def case_visibility(user: User | None, case: Case, *, participant: bool = False) -> Visibility:
    if user is None:
        return Visibility.REFERENCE
    if user.role in (ADMIN, COORD):
        return Visibility.FULL
    shareable = case.consent_to_share and not case.confidential
    if shareable and (user.role == VIEWER or (user.role == REP and participant)):
        return Visibility.SHARED
    return Visibility.REFERENCE
