"""Free/busy port of the allocator: busy where the server says so, empty where it cannot answer."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from caldav_servers import (  # noqa: F401
    CyrusServer,
    RadicaleServer,
    XandikosServer,
    cyrus_fixture,
    radicale_fixture,
    xandikos_fixture,
)

from booking.adapters.caldav_gateway import (
    CalDavConfig,
    CalDavGateway,
    freebusy_port,
)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 15, hour, minute, tzinfo=UTC)


def _reps() -> list[SimpleNamespace]:
    return [
        SimpleNamespace(id=1, email="anna@mora.example", address="mailto:anna@mora.example"),
        SimpleNamespace(id=2, email="oskar@mora.example", address="mailto:oskar@mora.example"),
    ]


def test_server_that_cannot_answer_gives_nobody_busy(
    xandikos: XandikosServer, radicale: RadicaleServer
) -> None:
    xandikos.add_user("forum", "forum@mora.example")
    xandikos.add_user("anna", "anna@mora.example")
    # Xandikos answers 3.8 (no authority) for other users' free/busy.
    port = freebusy_port(
        lambda: CalDavGateway(
            CalDavConfig(url=xandikos.url, username="forum", remote_user_header=True)
        )
    )
    assert port(_reps(), at(12), at(13)) == set()
    # Radicale has no scheduling at all.
    port = freebusy_port(
        lambda: CalDavGateway(
            CalDavConfig(url=radicale.url, username="forum", password="forum-secret")
        )
    )
    assert port(_reps(), at(12), at(13)) == set()
    # No server configured, or a server that is down: allocation goes on without free/busy.
    assert freebusy_port(lambda: None)(_reps(), at(12), at(13)) == set()
    xandikos.stop()
    port = freebusy_port(
        lambda: CalDavGateway(
            CalDavConfig(url=xandikos.url, username="forum", remote_user_header=True, timeout=2)
        )
    )
    assert port(_reps(), at(12), at(13)) == set()


def test_cyrus_tells_who_is_busy_in_their_own_calendar(cyrus: CyrusServer) -> None:
    """Cyrus answers free/busy for its other users (RFC 6638 §5): a representative with an
    appointment of their own is busy then, and only then; the allocator leaves them out."""
    with cyrus.client("anna") as client:
        calendar = client.get_principal().get_calendars()[0]
        calendar.save_event(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
            "UID:tandlakare-anna@mora.example\r\nDTSTAMP:20261128T000000Z\r\n"
            "DTSTART:20261215T120000Z\r\nDTEND:20261215T130000Z\r\nSUMMARY:Tandläkare\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n"
        )
    port = freebusy_port(
        lambda: CalDavGateway(
            CalDavConfig(
                url=cyrus.url,
                username="forum",
                password=cyrus.password,
                features="cyrus",
                timeout=5,
            )
        )
    )
    assert port(_reps(), at(12, 30), at(13, 30)) == {1}  # Anna, not Oskar
    assert port(_reps(), at(13), at(14)) == set()  # touching is not overlapping
