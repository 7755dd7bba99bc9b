"""SQLAlchemy 2 typed models, one module per feature; this package names every table.

Times are stored as UTC-aware datetimes; local dates (a session's Tuesday) as dates. The
vocabulary the columns hold (statuses, roles, PARTSTAT) is defined once in
``booking.domain.vocabulary``. The modules import each other only in one direction
(base ← scheduling, directory, security, system ← cases ← meetings ← invitations, feeds,
followup); relationships name later tables by string. Importing this package registers every
table on ``Base.metadata`` for Alembic and the tests.
"""

from booking.models.base import UTCDateTime
from booking.models.cases import Case, CaseDepartment
from booking.models.directory import Absence, Department, DepartmentForum, Representative
from booking.models.feeds import FeedBody, FeedChange, FeedEvent, FeedMember, FeedToken
from booking.models.followup import FollowUpPoint, Minutes, Survey, SurveyAnswer
from booking.models.intake import ContactRequest, RequestMessage, RoutingRule
from booking.models.invitations import CustomerToken, OutboxMessage
from booking.models.meetings import Attendee, Meeting, RepresentativeBusy
from booking.models.preparation import AgendaDelivery, CaseDocument, CategoryGuide
from booking.models.scheduling import Forum, PausePeriod, Session, SessionSeries, Slot
from booking.models.security import ApiToken, LoginRateBucket, SsoRoleRule, User
from booking.models.system import AuditEvent, IdempotencyKey, KeyValue

__all__ = [
    "Absence",
    "AgendaDelivery",
    "ApiToken",
    "Attendee",
    "AuditEvent",
    "Case",
    "CaseDepartment",
    "CaseDocument",
    "CategoryGuide",
    "ContactRequest",
    "CustomerToken",
    "Department",
    "DepartmentForum",
    "FeedBody",
    "FeedChange",
    "FeedEvent",
    "FeedMember",
    "FeedToken",
    "FollowUpPoint",
    "Forum",
    "IdempotencyKey",
    "KeyValue",
    "LoginRateBucket",
    "Meeting",
    "Minutes",
    "OutboxMessage",
    "PausePeriod",
    "Representative",
    "RepresentativeBusy",
    "RequestMessage",
    "RoutingRule",
    "Session",
    "SessionSeries",
    "Slot",
    "SsoRoleRule",
    "Survey",
    "SurveyAnswer",
    "UTCDateTime",
    "User",
]
