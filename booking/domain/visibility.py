"""What each audience may see of a case (DESIGN.md §3.6, research/domain.md §0.8).

The one visibility policy: feeds, invitations, the web pages and the JSON API all ask here, so
they cannot disagree. It decides per field (category, organisation, description, contact,
registry number, free text), per reader (a feed, an invited attendee, the customer, or a staff
role) and per case (confidential or not, and how far the customer consented to sharing).

- A feed many people subscribe to is treated as public: a department, representative or forum
  feed shows category, reference and organisation name only when the case is not confidential
  and the customer's consent reaches the feed's audience (department and representative feeds:
  also external parties; the forum feed: the municipality); a confidential case is
  "Forum – sekretess" and its reference.
- An invited attendee sees the category of a case that is not confidential, and its
  organisation, description and free text when the consent reaches them (``scope`` municipal:
  attendees from municipal departments only; external: also external parties such as the
  police). Of a confidential case an invitation carries only the neutral reference.
- The customer sees their own case in full.
- Coordinators and administrators handle cases and see everything. A viewer (management) sees
  what a forum feed shows; a representative what their invitation shows, or a feed when they
  are not invited. Contact details and free text of a confidential case are for handlers only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from booking.domain.vocabulary import Role


class Audience(StrEnum):
    DEPARTMENT = "department"
    REPRESENTATIVE = "representative"
    FORUM = "forum"
    ATTENDEE = "attendee"
    CUSTOMER = "customer"


class ConsentScope(StrEnum):
    """How far the customer agreed to share the case's details."""

    NONE = "none"  # with nobody but the case's handlers
    MUNICIPAL = "municipal"  # with the municipality's own departments, offices and companies
    EXTERNAL = "external"  # also with external parties (authorities such as the police)


# Department.kind values that belong to the municipality; any other kind (e.g. "external",
# "authority", "company") is an external party.
MUNICIPAL_KINDS = frozenset({"department", "joint_office", "municipal_company"})

# Roles that handle cases and see all of them.
HANDLER_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})


def is_municipal(kind: str) -> bool:
    return kind in MUNICIPAL_KINDS


def consent_scope(consent: ConsentScope | str | bool) -> ConsentScope:
    """The scope, also from the older yes/no consent (yes meant: the municipal departments)."""
    if isinstance(consent, bool):
        return ConsentScope.MUNICIPAL if consent else ConsentScope.NONE
    return ConsentScope(consent)


def consent_reaches(consent: ConsentScope | str | bool, *, municipal: bool) -> bool:
    """Does the customer's consent cover a reader from a municipal (or an external) party?"""
    scope = consent_scope(consent)
    return scope == ConsentScope.EXTERNAL or (scope == ConsentScope.MUNICIPAL and municipal)


@dataclass(frozen=True)
class Visibility:
    category: bool
    organisation: bool
    description: bool
    contact: bool
    # The registrar's number: it leads to the organisation, so it goes where the name goes.
    registry_number: bool = False
    # Text people write about the case (cancel and override reasons, reply notes, history
    # notes): it may name the business or people, so it goes where the description goes.
    free_text: bool = False

    @property
    def redacted(self) -> bool:
        """Something of the case is hidden from this reader."""
        return not all(getattr(self, f.name) for f in fields(self))

    def shown(self, field: str) -> bool:
        return bool(getattr(self, field))


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Visibility))


# What a confidential case is called wherever its organisation may not be shown (feeds,
# invitations, pages). Swedish in calendar data, which has one language; pages pass their
# translation of it.
CONFIDENTIAL_LABEL = "Forum – sekretess"


def confidential_title(reference: str, label: str = CONFIDENTIAL_LABEL) -> str:
    """A confidential case as a reader who may not see its organisation meets it."""
    return f"{label} ({reference})"


def case_title(
    reference: str,
    org_name: str,
    *,
    confidential: bool,
    seen: Visibility,
    confidential_label: str = CONFIDENTIAL_LABEL,
) -> str:
    """How a case is named on a line of its own: reference and organisation when the reader
    may see the organisation, the confidential title when the case is confidential, else only
    the neutral reference."""
    if seen.organisation:
        return f"{reference} · {org_name}"
    if confidential:
        return confidential_title(reference, confidential_label)
    return reference


FULL = Visibility(*(True for _ in FIELDS))
NOTHING = Visibility(*(False for _ in FIELDS))

FEED_AUDIENCES = frozenset({Audience.DEPARTMENT, Audience.REPRESENTATIVE, Audience.FORUM})
# Department and representative feeds are rendered once per audience for every department,
# external parties (the police) included, so they name the organisation only when the consent
# reaches external parties. The forum feed is for the municipality's coordinators.
FEEDS_EXTERNAL_PARTIES_READ = frozenset({Audience.DEPARTMENT, Audience.REPRESENTATIVE})


def visibility(
    audience: Audience,
    *,
    confidential: bool,
    consent: ConsentScope | str | bool,
    municipal: bool = True,
) -> Visibility:
    """What ``audience`` may see of a case. ``municipal``: the reader belongs to a municipal
    party (an invitation to an external authority's representative passes False)."""
    if audience == Audience.CUSTOMER:
        return FULL
    if audience in FEEDS_EXTERNAL_PARTIES_READ:
        municipal = False
    shared = not confidential and consent_reaches(consent, municipal=municipal)
    if audience == Audience.ATTENDEE:
        return Visibility(
            category=not confidential,
            organisation=shared,
            description=shared,
            contact=False,
            registry_number=shared,
            free_text=shared,
        )
    return Visibility(
        category=shared,
        organisation=shared,
        description=False,
        contact=False,
        registry_number=shared,
        free_text=False,
    )


def staff_visibility(
    role: str | None,
    *,
    confidential: bool,
    consent: ConsentScope | str | bool,
    participant: bool = False,
    municipal: bool = True,
) -> Visibility:
    """What a logged-in user of the given role may see of a case, wherever they look (web page,
    JSON API, search). ``participant``: a representative invited to one of its meetings;
    ``municipal``: the user belongs to a municipal party (False for an external authority's
    representative). No user (``None``) sees nothing."""
    if role is None or role == Role.RECEIVER:
        return NOTHING  # a receiver passes contacts on and sees no case at all
    if role in HANDLER_ROLES:
        return FULL
    invited = role == Role.REPRESENTATIVE and participant
    audience = Audience.ATTENDEE if invited else Audience.FORUM
    return visibility(audience, confidential=confidential, consent=consent, municipal=municipal)


def cases_showing(
    field: str, role: str | None, *, municipal: bool = True
) -> Iterator[tuple[bool, ConsentScope]]:
    """The (confidential, consent scope) kinds of case whose ``field`` a non-invited reader of
    this role sees: what a search may match on for them."""
    for confidential in (False, True):
        for scope in ConsentScope:
            seen = staff_visibility(
                role, confidential=confidential, consent=scope, municipal=municipal
            )
            if seen.shown(field):
                yield confidential, scope


# Audit snapshot keys (booking.services.audit) → the field of Visibility that guards them.
# Keys mapped to None hold nothing personal (ids, times, states). Any key not listed here is
# treated as free text: a new snapshot key stays hidden until someone decides otherwise.
HISTORY_FIELDS: Mapping[str, str | None] = {
    "org_name": "organisation",
    "org_number": "contact",  # a sole trader's organisation number is a personal identity number
    "contact_name": "contact",
    "contact_email": "contact",
    "contact_phone": "contact",
    "description": "description",
    "responsibility_areas": "description",
    "category": "category",
    "registry_number": "registry_number",
    "consent_recorded_by": "contact",
    "consent_recorded_at": "contact",
    "override_reason": "free_text",
    "cancel_reason": "free_text",
    "note": "free_text",
    "reason": "free_text",
    **dict.fromkeys(
        (
            "uid",
            "sequence",
            "status",
            "slot_id",
            "starts_at",
            "ends_at",
            "convener_id",
            "minute_taker_id",
            "attendees",
            "department_ids",
            "confidential",
            "consent_to_share",
            "consent_scope",
            "received_at",
            "version",
            "supersedes",
            "corrects",
            "partstat",
            "due_date",
        )
    ),
}
HIDDEN = "***"


def visible_snapshot(snapshot: Mapping[str, Any] | None, seen: Visibility) -> dict[str, Any] | None:
    """An audit snapshot with what ``seen`` may not show replaced by ``HIDDEN``."""
    if snapshot is None:
        return None
    out: dict[str, Any] = {}
    for key, value in snapshot.items():
        guard = HISTORY_FIELDS.get(key, "free_text")
        out[key] = value if guard is None or seen.shown(guard) else HIDDEN
    return out


# The parts of an item on a forum afternoon's agenda (dagordning), each mapped to the field of
# Visibility that guards it; None: shown to every reader of the agenda (the time and the
# reference place the item; the departments and the convener are the municipality's own
# people, as every feed shows them). The ticked questions name what the business needs, as its
# category does; what a department will cover is free text about the case; a document's name
# may name the business, so it goes where the description goes.
AGENDA_PARTS: Mapping[str, str | None] = {
    "time": None,
    "reference": None,
    "category": "category",
    "organisation": "organisation",
    "brief": "description",
    "questions": "category",
    "departments": None,
    "covers": "free_text",
    "convener": None,
    "documents": "description",
}
AGENDA_PLACE = frozenset({"time", "reference"})


def agenda_shows(part: str, seen: Visibility, *, confidential: bool) -> bool:
    """May a reader who sees ``seen`` of the case see ``part`` of its agenda item? A
    confidential case shows only its time and reference ("Forum – sekretess") to whoever may
    not see its organisation; so does any case to a reader who may see nothing of it."""
    guard = AGENDA_PARTS[part]  # KeyError: an unknown part is a programming error
    if part in AGENDA_PLACE:
        return True
    if seen == NOTHING or (confidential and not seen.organisation):
        return False
    return guard is None or seen.shown(guard)


def agenda_parts(seen: Visibility, *, confidential: bool) -> frozenset[str]:
    """Every part of an agenda item the reader may see."""
    return frozenset(p for p in AGENDA_PARTS if agenda_shows(p, seen, confidential=confidential))
