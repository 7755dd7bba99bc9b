"""Calendars to bytes: CRLF line ends, lines folded at 75 octets without splitting UTF-8.

icalendar 7 folds by octets and writes CRLF; this module is the single exit so every output
(feed, invitation, confirmation) goes through the same path and the same checks.
"""

from __future__ import annotations

from icalendar import Calendar, Component

from booking.ical.vtimezone import vtimezone

PRODID = "-//Dörren in//Forum booking//SV"


def new_calendar(tzid: str, *, method: str | None = None) -> Calendar:
    """A VCALENDAR with VERSION, PRODID and the rule-based VTIMEZONE for ``tzid``."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    cal.add_component(vtimezone(tzid))
    return cal


def to_bytes(cal: Calendar) -> bytes:
    data: bytes = cal.to_ical()
    return data


def component_bytes(component: Component) -> bytes:
    """One component (e.g. a stored VEVENT) as folded CRLF bytes, for feed assembly."""
    data: bytes = component.to_ical()
    return data
