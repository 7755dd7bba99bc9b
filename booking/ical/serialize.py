"""Calendars to bytes: CRLF line ends, lines folded at 75 octets without splitting UTF-8.

icalendar 7 folds by octets and writes CRLF; this module is the single exit so every output
(feed, invitation, confirmation) goes through the same path and the same checks.
"""

from __future__ import annotations

import re

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


# Control characters iCalendar does not allow in any value (RFC 5545 §3.1: CONTROL), as UTF-8
# bytes: C0 but TAB (CR and LF only as the CRLF line end), DEL, and C1 (0xC2 0x80..0x9F; 0xC2
# is only ever a lead byte in UTF-8, so this never cuts a character).
_C0_DEL = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_C1_OR_BARE_BREAK = re.compile(rb"\xc2[\x80-\x9f]|\r(?!\n)|(?<!\r)\n")


def without_controls(data: bytes) -> bytes:
    """``data`` without control characters: input is checked at the edge, this is the
    writer's own guarantee (a CalDAV server refuses such data, strict feed readers too)."""
    data = data.translate(None, _C0_DEL)
    return _C1_OR_BARE_BREAK.sub(b"", data)


def to_bytes(cal: Calendar) -> bytes:
    data: bytes = cal.to_ical()
    return without_controls(data)


def component_bytes(component: Component) -> bytes:
    """One component (e.g. a stored VEVENT) as folded CRLF bytes, for feed assembly."""
    data: bytes = component.to_ical()
    return without_controls(data)
