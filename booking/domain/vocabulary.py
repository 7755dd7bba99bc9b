"""The status and role vocabulary, defined once: the tables, the services and the pages use these.

Stored as their string values (see booking.models.base.str_enum), so the values are part of the
database schema: renaming one is a migration."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    REPRESENTATIVE = "representative"
    VIEWER = "viewer"
    # Any municipal employee: passes a contact on and sees only the contacts they passed on.
    RECEIVER = "receiver"


class SsoMatch(enum.StrEnum):
    """What a single sign-on role rule matches: a group the identity provider names, or the
    domain of the user's e-mail address."""

    GROUP = "group"
    EMAIL_DOMAIN = "email_domain"


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # a forum afternoon with slots
    SKIPPED = "skipped"  # holiday or pause period: kept with its reason, no slots
    CANCELLED = "cancelled"  # cancelled by a coordinator, with a reason


class CaseStatus(enum.StrEnum):
    RECEIVED = "received"
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    HELD = "held"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class CaseCategory(enum.StrEnum):
    NEW_ESTABLISHMENT = "new_establishment"
    MAJOR_CHANGE = "major_change"
    EVENT = "event"
    # Forum internt: the forum's own matters; no organisation number, no customer.
    INTERNAL = "internal"


# What a business may choose on the request form (internal matters are not a business's).
BUSINESS_CATEGORIES: tuple[CaseCategory, ...] = (
    CaseCategory.NEW_ESTABLISHMENT,
    CaseCategory.MAJOR_CHANGE,
    CaseCategory.EVENT,
)


class SessionKind(enum.StrEnum):
    FORUM = "forum"  # an ordinary forum afternoon, booked case by case
    EVALUATION = "evaluation"  # the termly evaluation meeting: every representative invited


class MeetingStatus(enum.StrEnum):
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    HELD = "held"
    CANCELLED = "cancelled"


class PartStat(enum.StrEnum):
    NEEDS_ACTION = "NEEDS-ACTION"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    TENTATIVE = "TENTATIVE"
    DELEGATED = "DELEGATED"


class MinutesStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"  # the current approved version
    SUPERSEDED = "superseded"  # an approved version replaced by a correction


# A meeting that still takes place: invitations go out for it, answers count, it holds its slot.
LIVE_MEETING: frozenset[MeetingStatus] = frozenset({MeetingStatus.BOOKED, MeetingStatus.CONFIRMED})


# A case category's name in calendar data and exports, (Swedish, English); the pages use their
# translated labels (booking.web.labels).
CATEGORY_LABELS: dict[CaseCategory, tuple[str, str]] = {
    CaseCategory.NEW_ESTABLISHMENT: ("Nyetablering", "New establishment"),
    CaseCategory.MAJOR_CHANGE: ("Förändring av befintlig verksamhet", "Major change"),
    CaseCategory.EVENT: ("Arrangemang", "Event"),
    CaseCategory.INTERNAL: ("Forum internt", "Forum internal"),
}


class RequestStatus(enum.StrEnum):
    """A contact request on its way in (booking.services.intake)."""

    UNCONFIRMED = "unconfirmed"  # sent from the public form; the e-mail link not yet clicked
    NEW = "new"  # in the coordinator's queue
    ASKED = "asked"  # the coordinator asked the business a question; its answer awaited
    FORWARDED = "forwarded"  # one department was enough: handed to it, no forum meeting
    ACCEPTED = "accepted"  # became a case
    DECLINED = "declined"  # with a reason, told to the business


class MessageSender(enum.StrEnum):
    """Who wrote a message in a request's thread (a question or its answer)."""

    COORDINATOR = "coordinator"
    BUSINESS = "business"


class RequestSource(enum.StrEnum):
    PUBLIC = "public"  # the business itself, on the public form
    STAFF = "staff"  # passed on by someone in the municipality ("förmedlad kontakt")


# The questions a business may already know it has, and the departments' areas they touch.
REQUEST_QUESTIONS: dict[str, tuple[str, str]] = {
    "building": ("Bygglov eller ombyggnad", "Building permit or conversion"),
    "food": ("Livsmedel, servering", "Food, serving"),
    "alcohol": ("Alkoholservering", "Serving alcohol"),
    "fire": ("Brandskydd, brandfarliga varor", "Fire safety, flammable goods"),
    "environment": ("Miljö, buller, avfall", "Environment, noise, waste"),
    "roads": ("Gator, trafik, markupplåtelse", "Streets, traffic, use of public land"),
    "water": ("Vatten och avlopp", "Water and sewage"),
    "police": ("Polistillstånd (offentlig tillställning)", "Police permit (public event)"),
}
