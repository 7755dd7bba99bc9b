"""A rule-based VTIMEZONE (1970 + RRULE), the form Outlook maps correctly.

icalendar's ``Timezone.from_tzid()`` writes an RDATE list that ends in 2037 and that Outlook
misreads (research/ics-subscription-feeds.md §2). Our forums are in zones that follow the EU
rule (last Sunday of March and October, 01:00 UTC), so the component is built from that rule,
with the offsets and names read from the tz database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard


def _last_sunday(year: int, month: int) -> datetime:
    day = datetime(year, month + 1, 1) - timedelta(days=1) if month < 12 else datetime(year, 12, 31)
    return day - timedelta(days=(day.weekday() - 6) % 7)


def _offsets(tzid: str) -> tuple[timedelta, timedelta, str, str]:
    zone = ZoneInfo(tzid)
    winter = datetime(2025, 1, 15, 12, tzinfo=UTC).astimezone(zone)
    summer = datetime(2025, 7, 15, 12, tzinfo=UTC).astimezone(zone)
    std, dst = winter.utcoffset(), summer.utcoffset()
    assert std is not None and dst is not None
    return std, dst, winter.tzname() or "STD", summer.tzname() or "DST"


def follows_eu_rule(tzid: str) -> bool:
    """True when the zone switches at 01:00 UTC on the last Sundays of March and October."""
    zone = ZoneInfo(tzid)
    std, dst, _, _ = _offsets(tzid)
    if std == dst:
        return False
    for year in (2025, 2030, 2040):
        for month, expected in ((3, dst), (10, std)):
            switch = _last_sunday(year, month).replace(hour=1, tzinfo=UTC)
            before = (switch - timedelta(minutes=1)).astimezone(zone).utcoffset()
            after = switch.astimezone(zone).utcoffset()
            if after != expected or before == after:
                return False
    return True


@lru_cache(maxsize=8)
def vtimezone(tzid: str) -> Timezone:
    """The VTIMEZONE for ``tzid``; raises ValueError for a zone without the EU DST rule."""
    if not follows_eu_rule(tzid):
        raise ValueError(f"{tzid} does not follow the EU daylight-saving rule")
    std, dst, std_name, dst_name = _offsets(tzid)
    tz = Timezone()
    tz.add("tzid", tzid)
    tz.add("x-lic-location", tzid)
    daylight = TimezoneDaylight()
    daylight.add("tzname", dst_name)
    daylight.add("tzoffsetfrom", std)
    daylight.add("tzoffsetto", dst)
    # Local wall time of the switch: 01:00 UTC + standard offset (02:00 in Stockholm).
    daylight.add("dtstart", datetime(1970, 3, 29, 1) + std)
    daylight.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    standard = TimezoneStandard()
    standard.add("tzname", std_name)
    standard.add("tzoffsetfrom", dst)
    standard.add("tzoffsetto", std)
    standard.add("dtstart", datetime(1970, 10, 25, 1) + dst)
    standard.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    tz.add_component(daylight)
    tz.add_component(standard)
    return tz
