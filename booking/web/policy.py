"""Who may do what, and how much of a case each role may see.

One table for the whole UI, so a template hides a button with the same rule the view enforces.
Confidentiality follows booking.domain.visibility (DESIGN.md §3.6), the rule feeds and
invitations use: the customer's contact details are for coordinators and administrators only;
a representative invited to the case's meeting sees what the invitation shows; management and
other representatives see what a forum feed shows.
"""

from __future__ import annotations

from booking.domain.visibility import Audience, Visibility, visibility
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


FULL = Visibility(category=True, organisation=True, description=True, contact=True)
NOTHING = Visibility(category=False, organisation=False, description=False, contact=False)


def case_visibility(user: User | None, case: Case, *, participant: bool = False) -> Visibility:
    """What this user may see of the case, by the same rules as feeds and invitations.

    Coordinators and administrators handle the case and see everything; a representative
    invited to one of its meetings sees what their invitation shows; everyone else sees what
    a forum feed shows.
    """
    if user is None:
        return NOTHING
    if user.role in (ADMIN, COORD):
        return FULL
    audience = Audience.ATTENDEE if user.role == REP and participant else Audience.FORUM
    return visibility(audience, confidential=case.confidential, consent=case.consent_to_share)
