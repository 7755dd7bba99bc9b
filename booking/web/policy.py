"""Who may do what, and how much of a case each role may see.

One table for the whole UI, so a template hides a button with the same rule the view enforces.
What of a case a user sees is not decided here: it is the one visibility policy
(booking.domain.visibility.staff_visibility, through booking.services.cases.access) that the
JSON API, case search, feeds and invitations use too, so the web page and the API cannot
disagree. Coordinators and administrators see everything; a representative invited to the
case's meeting sees what the invitation shows; management and other representatives see what
a forum feed shows.
"""

from __future__ import annotations

from flask import g

from booking.domain.visibility import Visibility
from booking.domain.vocabulary import Role
from booking.models import Case, User
from booking.services.cases import access as case_access
from booking.services.cases.access import Reader
from booking.web_support import get_db

ADMIN, COORD, REP, VIEWER = Role.ADMIN, Role.COORDINATOR, Role.REPRESENTATIVE, Role.VIEWER
RECEIVER = Role.RECEIVER

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
    "manage_forums": frozenset({ADMIN}),
    "hand_out_feeds": frozenset({ADMIN, COORD}),
    # The whole trail holds every case's recorded states: those who may see every case.
    "view_audit": frozenset({ADMIN}),
    # The door in (issue 14): anyone signed in passes a contact on and follows what they
    # passed on; a receiver (any municipal employee) may do that and nothing else.
    "pass_on_contact": frozenset({ADMIN, COORD, REP, VIEWER, RECEIVER}),
    "triage": frozenset({ADMIN, COORD}),
    "my_meetings": frozenset({REP}),
    # Documents of a case (issue 14 §4): whoever may see them may add one, but management
    # (viewers) only reads. Seeing them is the visibility policy's (may_see_documents).
    "upload_documents": frozenset({ADMIN, COORD, REP}),
}


def can(user: User | None, permission: str) -> bool:
    if user is None or not user.active:
        return False
    return user.role in PERMISSIONS[permission]


def reader(user: User | None) -> Reader:
    """The user as the visibility policy sees them (looked up once per request)."""
    if user is None:
        return case_access.NOBODY
    cached: Reader | None = g.get("case_reader")
    if cached is None or cached.user_id != user.id:
        cached = case_access.reader_for(get_db(), user)
        g.case_reader = cached
    return cached


def case_visibility(user: User | None, case: Case, *, participant: bool = False) -> Visibility:
    """What this user may see of the case (``participant``: invited to one of its meetings)."""
    return case_access.seen(reader(user), case, participant=participant)
