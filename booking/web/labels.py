"""Translated names of the model's enumerations, for templates."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from booking.models import CaseCategory, CaseStatus, MeetingStatus, PartStat, Role

ROLE = {
    Role.ADMIN: _l("administrator"),
    Role.COORDINATOR: _l("coordinator"),
    Role.REPRESENTATIVE: _l("representative"),
    Role.VIEWER: _l("viewer"),
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


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        role_label=role_label,
        kind_label=kind_label,
        category_label=category_label,
        case_status_label=case_status_label,
        meeting_status_label=meeting_status_label,
        partstat_label=partstat_label,
        channel_label=channel_label,
    )
