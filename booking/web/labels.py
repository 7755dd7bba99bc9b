"""Translated names of the model's enumerations and of cases, for templates."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from booking.domain import visibility
from booking.domain.cases import has_customer
from booking.domain.vocabulary import CaseCategory, CaseStatus, MeetingStatus, PartStat, Role

ROLE = {
    Role.ADMIN: _l("administrator"),
    Role.COORDINATOR: _l("coordinator"),
    Role.REPRESENTATIVE: _l("representative"),
    Role.VIEWER: _l("viewer"),
    Role.RECEIVER: _l("receiver"),
}
KIND = {
    "department": _l("Department"),
    "joint_office": _l("Joint office"),
    "municipal_company": _l("Municipal company"),
    "external": _l("External authority"),
}
CATEGORY = {
    CaseCategory.NEW_ESTABLISHMENT: _l("New establishment"),
    CaseCategory.MAJOR_CHANGE: _l("Major change of an existing business"),
    CaseCategory.EVENT: _l("Event"),
    CaseCategory.INTERNAL: _l("Forum internal"),
}
CASE_STATUS = {
    CaseStatus.RECEIVED: _l("Received"),
    CaseStatus.BOOKED: _l("Booked"),
    CaseStatus.CONFIRMED: _l("Confirmed"),
    CaseStatus.HELD: _l("Held"),
    CaseStatus.FOLLOW_UP: _l("Follow-up"),
    CaseStatus.CLOSED: _l("Closed"),
    CaseStatus.CANCELLED: _l("Cancelled"),
}
MEETING_STATUS = {
    MeetingStatus.BOOKED: _l("Booked"),
    MeetingStatus.CONFIRMED: _l("Confirmed"),
    MeetingStatus.HELD: _l("Held"),
    MeetingStatus.CANCELLED: _l("Cancelled"),
}
PARTSTAT = {
    PartStat.NEEDS_ACTION: _l("No answer yet"),
    PartStat.ACCEPTED: _l("Accepted"),
    PartStat.DECLINED: _l("Declined"),
    PartStat.TENTATIVE: _l("Tentative"),
    PartStat.DELEGATED: _l("Delegated"),
}
CHANNEL = {
    "caldav": _l("calendar"),
    "email": _l("e-mail"),
    "link": _l("answer link"),
    "phone": _l("phone, recorded by the coordinator"),
    "web": _l("on My meetings or the case page"),
}


def _lookup(table: dict[Any, Any], value: Any) -> str:
    try:
        return str(table[value])
    except KeyError:
        return str(getattr(value, "value", value))


def role_label(value: Any) -> str:
    return _lookup(ROLE, Role(value) if value in Role._value2member_map_ else value)


def kind_label(value: str) -> str:
    return _lookup(KIND, value)


def category_label(value: Any) -> str:
    return _lookup(CATEGORY, value)


def case_status_label(value: Any) -> str:
    return _lookup(CASE_STATUS, value)


def meeting_status_label(value: Any) -> str:
    return _lookup(MEETING_STATUS, value)


def partstat_label(value: Any) -> str:
    return _lookup(PARTSTAT, value)


def channel_label(value: str) -> str:
    return _lookup(CHANNEL, value) if value else ""


DELIVERY = {
    "pending": _l("invitation on its way"),
    "delivered": _l("invitation delivered"),
    "failed": _l("invitation failed"),
}


def delivery_label(value: str) -> str:
    return _lookup(DELIVERY, value)


ACTIONS = {
    ("case", "create"): _l("Case registered"),
    ("case", "update"): _l("Details changed"),
    ("case", "status"): _l("Status changed"),
    ("case", "covers"): _l("What the departments will cover changed"),
    ("meeting", "book"): _l("Meeting booked"),
    ("meeting", "reschedule"): _l("Meeting moved"),
    ("meeting", "cancel"): _l("Meeting cancelled"),
    ("meeting", "status"): _l("Meeting status changed"),
    ("meeting", "attendees"): _l("Attendees changed"),
    ("meeting", "roles"): _l("Convener or minute-taker changed"),
    ("attendee", "reply"): _l("Answer recorded"),
    ("attendee", "deputy"): _l("Deputy invited"),
    ("case_document", "upload"): _l("Document uploaded"),
    ("session", "evaluation"): _l("Afternoon made the term's evaluation meeting"),
}


def action_label(entity_type: str, action: str) -> str:
    return (
        _lookup(ACTIONS, (entity_type, action))
        if (entity_type, action) in ACTIONS
        else (f"{entity_type}: {action}")
    )


FIELDS = {
    "registry_number": _l("Registry number (diarienummer)"),
    "org_name": _l("Organisation"),
    "org_number": _l("Organisation number"),
    "contact_name": _l("Contact person"),
    "contact_email": _l("Contact e-mail"),
    "contact_phone": _l("Contact phone"),
    "category": _l("Category"),
    "description": _l("Description"),
    "responsibility_areas": _l("Responsibility areas (comma-separated)"),
    "confidential": _l("Confidential (sekretess)"),
    "consent_to_share": _l("Consent to share"),
    "received_at": _l("Received"),
    "department_ids": _l("Departments that must attend"),
    "status": _l("Status"),
}


def case_title(case: Any, seen: visibility.Visibility) -> str:
    """The case named as the reader may see it (booking.domain.visibility.case_title), with
    the confidential title in the page's language."""
    return visibility.case_title(
        case.reference,
        case.org_name,
        confidential=case.confidential,
        seen=seen,
        confidential_label=gettext("Forum – confidential"),
    )


# The service's own actors (booking.services.audit.Actor.system) named for people.
SYSTEM_ACTORS = {
    "caldav": _l("the calendar (CalDAV)"),
    "email": _l("an answer by e-mail"),
    "rsvp": _l("the service"),
    "worker": _l("the service"),
    "cli": _l("the command line"),
    "retention": _l("the retention routine"),
    "login": _l("the login protection"),
}
# Notes the service itself writes into the trail (English in the database, as the
# audit log's other machine text), shown in the reader's language.
SYSTEM_NOTES = {
    "the meeting has taken place": _l("the meeting has taken place"),
    "minutes approved": _l("the minutes are approved"),
    "every follow-up point is done": _l("every follow-up point is done"),
    "closed by coordinator": _l("closed by the coordinator"),
    "alla förvaltningar har tackat ja / every department accepted": _l("every department accepted"),
}


def actor_label(actor: str) -> str:
    """Who acted, for a history line: a person's address, or what the service's actor is."""
    if actor.startswith("rsvp-link:"):
        return str(gettext("%(who)s, by the answer link", who=actor.split(":", 1)[1]))
    return _lookup(SYSTEM_ACTORS, actor) if actor in SYSTEM_ACTORS else actor


def history_detail(entity_type: str, action: str, after: dict[str, Any] | None, note: str) -> str:
    """What happened, in the reader's language: who answered what, who declined and who goes
    instead; a note the service wrote translated, a person's note as written."""
    after = after or {}
    if (entity_type, action) == ("attendee", "reply") and after.get("partstat") in PARTSTAT:
        answer = partstat_label(PartStat(after["partstat"]))
        channel = channel_label(after.get("channel", ""))
        said = f"{answer} ({channel})" if channel else answer
        said = f"{after['name']}: {said}" if after.get("name") else said
        return f"{said} – {note}" if note else said  # the answer's own comment, as written
    if (entity_type, action) == ("attendee", "deputy") and after.get("declined"):
        return str(
            gettext(
                "%(declined)s declined; %(deputy)s is invited instead",
                declined=after["declined"],
                deputy=after.get("deputy", ""),
            )
        )
    return _lookup(SYSTEM_NOTES, note) if note in SYSTEM_NOTES else note


WEEKDAY = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


def weekday_label(weekday: int) -> str:
    return str(WEEKDAY[weekday])


REQUEST_STATUS = {
    "unconfirmed": _l("waiting for the business to confirm"),
    "new": _l("with the coordinator"),
    "asked": _l("waiting for the business's answer"),
    "forwarded": _l("handed to one department"),
    "accepted": _l("a case"),
    "declined": _l("declined"),
}
REQUEST_SOURCE = {"public": _l("public form"), "staff": _l("passed on by staff")}
LEAD_SOURCE = {**REQUEST_SOURCE, "coordinator": _l("registered by the coordinator")}


def request_status_label(value: Any) -> str:
    return _lookup(REQUEST_STATUS, str(value))


def request_source_label(value: Any) -> str:
    return _lookup(REQUEST_SOURCE, str(value))


def lead_source_label(value: Any) -> str:
    return _lookup(LEAD_SOURCE, str(value))


def question_label(code: str) -> str:
    from flask_babel import get_locale

    from booking.domain.vocabulary import REQUEST_QUESTIONS

    sv, en = REQUEST_QUESTIONS.get(code, (code, code))
    return sv if str(get_locale() or "sv").startswith("sv") else en


def field_label(name: str) -> str:
    return _lookup(FIELDS, name) if name in FIELDS else name


def init_app(app: Flask) -> None:
    from booking.web.messages import blocker_text

    app.jinja_env.filters.update(field_label=field_label, question_label=question_label)
    app.jinja_env.globals.update(
        blocker_text=blocker_text,
        case_title=case_title,
        delivery_label=delivery_label,
        action_label=action_label,
        field_label=field_label,
        role_label=role_label,
        kind_label=kind_label,
        category_label=category_label,
        case_status_label=case_status_label,
        meeting_status_label=meeting_status_label,
        partstat_label=partstat_label,
        channel_label=channel_label,
        actor_label=actor_label,
        history_detail=history_detail,
        weekday_label=weekday_label,
        request_status_label=request_status_label,
        request_source_label=request_source_label,
        lead_source_label=lead_source_label,
        has_customer=has_customer,
    )
