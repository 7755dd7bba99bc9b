"""Feed assembly from stored pieces and the HTTP validator rules, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import vobject
from icalendar import Calendar

from booking.ical.feed import (
    TAIL,
    FeedHeader,
    SlotView,
    assemble,
    availability_event,
    calendar_head,
)
from feeds.http import accepts_gzip, http_date, not_modified

LONG = "Förvaltningarnas gemensamma forummöten för ärenden om nyetablering å ä ö" * 3


def _feed(n: int = 2) -> bytes:
    slots = [
        SlotView(
            i,
            datetime(2027, 3, 30, 11 + i, tzinfo=UTC),
            datetime(2027, 3, 30, 12 + i, tzinfo=UTC),
            booked=i % 2 == 0,
            changed_at=datetime(2026, 11, 30, 8, tzinfo=UTC),
        )
        for i in range(n)
    ]
    events = [
        availability_event(
            s,
            forum_name="Forum Mora",
            forum_slug="mora",
            location="Kommunhuset; sal 1, Mora",
            tz="Europe/Stockholm",
            uid_domain="forum.test",
        )
        for s in slots
    ]
    return assemble(calendar_head(FeedHeader("Forum – Åsa Öberg", LONG)), events)


def test_header_has_feed_properties_and_no_method() -> None:
    head = calendar_head(FeedHeader("Forum – Åsa Öberg", LONG, refresh=timedelta(minutes=90)))
    text = head.replace(b"\r\n ", b"").decode()
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H30M" in lines
    assert "X-PUBLISHED-TTL:PT1H30M" in lines
    assert "X-WR-CALNAME:Forum – Åsa Öberg" in lines and "NAME:Forum – Åsa Öberg" in lines
    assert "X-WR-TIMEZONE:Europe/Stockholm" in lines
    assert not any(line.startswith("METHOD") for line in lines)
    assert not head.endswith(TAIL) and head.count(b"BEGIN:VTIMEZONE") == 1


def test_assembled_feed_is_crlf_folded_by_octets_and_parses_twice() -> None:
    data = _feed(3)
    assert data.endswith(TAIL)
    for line in data.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # no fold splits a UTF-8 character
    assert b"\n" not in data.replace(b"\r\n", b"")
    cal = Calendar.from_ical(data)
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [f"slot-{i}@forum.test" for i in range(3)]
    parsed = vobject.readOne(data.decode(), validate=True)
    assert str(parsed.x_wr_caldesc.value) == LONG
    start = parsed.vevent_list[0].dtstart.value
    assert (start.hour, start.utcoffset()) == (13, timedelta(hours=2))
    assert [e.transp.value for e in parsed.vevent_list] == ["OPAQUE", "TRANSPARENT", "OPAQUE"]
    assert parsed.vevent_list[0].location.value == "Kommunhuset; sal 1, Mora"


def test_assembly_is_deterministic() -> None:
    assert _feed(4) == _feed(4)


def test_not_modified_rules() -> None:
    lm = datetime(2026, 11, 30, 8, 0, 0, 500000, tzinfo=UTC)
    assert not_modified('"a"', lm, '"a"', None)
    assert not_modified('"a"', lm, 'W/"a", "b"', None)
    assert not_modified('"a"', lm, "*", None)
    assert not not_modified('"a"', lm, '"b"', http_date(lm))
    assert not_modified('"a"', lm, None, "Mon, 30 Nov 2026 08:00:00 GMT")
    assert not_modified('"a"', lm, None, "Mon, 30 Nov 2026 09:00:00 GMT")
    assert not not_modified('"a"', lm, None, "Mon, 30 Nov 2026 07:59:59 GMT")
    assert not not_modified('"a"', lm, None, "not a date")
    assert not not_modified('"a"', lm, None, None)
    assert http_date(lm) == "Mon, 30 Nov 2026 08:00:00 GMT"


def test_accepts_gzip() -> None:
    assert accepts_gzip("gzip, deflate, br")
    assert accepts_gzip("deflate, GZIP;q=0.5")
    assert not accepts_gzip("gzip;q=0")
    assert not accepts_gzip("br")
    assert not accepts_gzip(None)


def test_access_logs_never_show_a_feed_token() -> None:
    import runpy
    from pathlib import Path

    from feeds.access import redact

    token = "DsTKCCvqfjBpGpsEna5tDlrfq4ty-jn3L8b7NzHuqdU"
    line = f"GET /feeds/departments/{token}.ics HTTP/1.1"
    assert redact(line) == "GET /feeds/departments/~redacted.ics HTTP/1.1"
    assert redact(line, "department:3") == "GET /feeds/departments/~department-3.ics HTTP/1.1"
    assert redact(f"/feeds/cases/{token}.ics?x=1") == "/feeds/cases/~redacted.ics?x=1"
    assert redact("/feeds/forums/mora/availability.ics") == "/feeds/forums/mora/availability.ics"
    # gunicorn.conf.py: uvicorn workers serve the ASGI front (which logs through ``redact``);
    # gunicorn's own access log, written only under a WSGI worker, redacts the same way.
    conf = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert (conf["worker_class"], conf["wsgi_app"]) == ("booking.server.Worker", "wsgi:asgi_app")
    assert conf["logger_class"].__name__ == "RedactingLogger"
