"""Feeds assembled from stored pieces: calendar header, VTIMEZONE, serialized VEVENTs.

A feed is ``head + event texts + tail``. The head (VCALENDAR properties and the rule-based
VTIMEZONE) is built with icalendar once per feed build; each VEVENT is serialized once per change
and audience and stored (``render_event``), so a rebuild after one change re-renders one event
and concatenates bytes. No METHOD: a feed is not an iTIP message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration

from booking.ical.event import meeting_vevent
from booking.ical.serialize import PRODID, component_bytes
from booking.ical.vtimezone import vtimezone
from booking.models import Meeting

TAIL = b"END:VCALENDAR\r\n"


@dataclass(frozen=True)
class FeedHeader:
    name: str
    description: str
    timezone: str = "Europe/Stockholm"
    refresh: timedelta = timedelta(hours=1)


@lru_cache(maxsize=256)
def calendar_head(header: FeedHeader) -> bytes:
    """BEGIN:VCALENDAR, the calendar properties and the VTIMEZONE, without END:VCALENDAR."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", header.name)
    cal.add("name", header.name)
    cal.add("x-wr-caldesc", header.description)
    cal.add("description", header.description)
    cal.add("x-wr-timezone", header.timezone)
    # Durations, not TEXT: icalendar writes a timedelta in an X- property as "1:00:00".
    refresh = vDuration(header.refresh)
    cal.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(header.refresh))
    cal.add_component(vtimezone(header.timezone))
    data = component_bytes(cal)
    if not data.endswith(TAIL):
        raise ValueError("unexpected calendar serialization")
    return data[: -len(TAIL)]


def assemble(head: bytes, events: Iterable[bytes]) -> bytes:
    return b"".join((head, *events, TAIL))


def render_event(meeting: Meeting, audience: str, base_url: str) -> bytes:
    """One meeting's VEVENT for one audience, folded CRLF bytes (stored by the feed cache)."""
    return component_bytes(meeting_vevent(meeting, audience, base_url=base_url))


@dataclass(frozen=True)
class SlotView:
    """One slot of the public availability feed: a time and whether it is taken."""

    slot_id: int
    starts_at: datetime
    ends_at: datetime
    booked: bool
    changed_at: datetime


def availability_event(
    slot: SlotView, *, forum_name: str, forum_slug: str, location: str, tz: str, uid_domain: str
) -> bytes:
    """A slot as a VEVENT with no case data: "ledig tid" (transparent) or "bokad" (opaque)."""
    zone = ZoneInfo(tz)
    event = Event()
    event.add("uid", f"slot-{slot.slot_id}@{uid_domain}")
    # Deterministic per state, so an unchanged availability feed keeps its ETag.
    event.add("dtstamp", slot.changed_at)
    event.add("last-modified", slot.changed_at)
    event.add("sequence", 0)
    event.add("dtstart", slot.starts_at.astimezone(zone))
    event.add("dtend", slot.ends_at.astimezone(zone))
    if slot.booked:
        event.add("summary", f"{forum_name}: bokad / booked")
        event.add("transp", "OPAQUE")
    else:
        event.add("summary", f"{forum_name}: ledig tid / free slot")
        event.add("transp", "TRANSPARENT")
    event.add("location", location)
    event.add("status", "CONFIRMED")
    event.add("class", "PUBLIC")
    event.add(
        "description",
        f"Mötestid i {forum_name} / Meeting slot in {forum_name} ({forum_slug}). "
        "Boka via kommunens näringslivskontor / Book through the business office.",
    )
    return component_bytes(event)
