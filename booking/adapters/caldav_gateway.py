"""All CalDAV calls: the organizer's copy of each meeting, replies by sync token, free/busy.

The service owns one organizer account; each meeting is one object in that account's
calendar at a href derived from its UID. Writes are conditional (If-None-Match: * to create,
If-Match: <etag> to update or delete), so a retried or concurrent delivery can never create a
second copy or overwrite an answer the server wrote in the meantime.

Errors are translated into the outbox's TransientError (retry later: server down, timeouts,
5xx, 412 races) and PermanentError (the server rejects the data: retrying cannot help).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urljoin

from caldav.collection import Calendar as DavCalendar
from caldav.davclient import DAVClient
from caldav.lib import error as dav_error
from icalendar import Calendar

from booking.services.invitations.outbox import PermanentError, TransientError

log = logging.getLogger(__name__)

ICAL_HEADERS = {"Content-Type": "text/calendar; charset=utf-8"}


@dataclass(frozen=True)
class RemoteObject:
    """One object of the organizer's calendar as the server holds it."""

    href: str
    etag: str
    data: str


@dataclass
class SyncResult:
    token: str
    changed: list[RemoteObject] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    full: bool = False  # the server did not honour the token: everything was listed


@dataclass(frozen=True)
class CalDavConfig:
    url: str
    username: str = ""
    password: str = ""
    features: str = ""
    remote_user_header: bool = False  # Xandikos multi-user test/demo servers: X-Remote-User
    calendar_url: str = ""  # the organizer's calendar; discovered when empty
    timeout: float = 15.0


class CalDavGateway:
    """One organizer account on one CalDAV server. One instance per thread (one HTTP session)."""

    def __init__(self, config: CalDavConfig) -> None:
        self.config = config
        self._client: DAVClient | None = None
        self._calendar_url: str = config.calendar_url
        self._scheduling: bool | None = None

    # ------------------------------------------------------------ connection

    def _connect(self) -> DAVClient:
        if self._client is None:
            headers = (
                {"X-Remote-User": self.config.username} if self.config.remote_user_header else {}
            )
            kwargs: dict[str, Any] = {
                "url": self.config.url,
                "timeout": self.config.timeout,
                "headers": headers,
            }
            if self.config.username and not self.config.remote_user_header:
                kwargs.update(
                    username=self.config.username,
                    password=self.config.password,
                    auth_type="basic",  # Cyrus never asks for credentials (research §2.2)
                )
            if self.config.features:
                kwargs["features"] = self.config.features
            self._client = DAVClient(**kwargs)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one caldav call; map its failures onto transient/permanent errors."""
        try:
            return fn(*args, **kwargs)
        except (TransientError, PermanentError):
            raise
        except dav_error.AuthorizationError as exc:
            # Usually a configuration error; retried with backoff so a fix takes effect.
            self.close()
            raise TransientError(f"CalDAV {what}: not authorised ({exc})") from exc
        except dav_error.DAVError as exc:
            self.close()
            raise TransientError(f"CalDAV {what}: {exc}") from exc
        except OSError as exc:
            self.close()
            raise TransientError(f"CalDAV {what}: server unreachable ({exc})") from exc
        except Exception as exc:  # niquests raises its own ConnectionError/Timeout classes
            self.close()
            raise TransientError(f"CalDAV {what}: {type(exc).__name__}: {exc}") from exc

    def calendar_url(self) -> str:
        if not self._calendar_url:
            self._calendar_url = self._call("discover calendar", self._discover_calendar)
        return self._calendar_url

    def _discover_calendar(self) -> str:
        principal: Any = self._connect().get_principal()  # sync client: no coroutines
        calendars: list[Any] = principal.get_calendars()
        # Xandikos applies REPLYs only to the schedule-default calendar, named "calendar".
        for cal in calendars:
            if str(cal.url).rstrip("/").endswith("/calendar"):
                return str(cal.url)
        if calendars:
            return str(calendars[0].url)
        return str(principal.make_calendar(name="Forum", cal_id="calendar").url)

    def supports_scheduling(self) -> bool:
        """RFC 6638 implicit scheduling (calendar-auto-schedule in the DAV header)."""
        if self._scheduling is None:
            self._scheduling = bool(
                self._call("OPTIONS", lambda: self._connect().supports_scheduling())
            )
        return self._scheduling

    def own_addresses(self) -> list[str]:
        """The organizer account's calendar-user addresses (calendar-user-address-set,
        RFC 6638), without "mailto:", lower case; empty when the server does not tell."""

        def read() -> list[str]:
            principal: Any = self._connect().get_principal()
            found = principal.calendar_user_address_set() or []
            return [bare_address(str(a)) for a in found if a]

        return list(self._call("calendar-user-address-set", read))

    def href_for(self, uid: str) -> str:
        return urljoin(self.calendar_url().rstrip("/") + "/", quote(uid, safe="") + ".ics")

    # ------------------------------------------------------------ the organizer's copy

    def get(self, uid: str) -> RemoteObject | None:
        href = self.href_for(uid)
        response = self._call("GET", self._connect().request, href, "GET")
        if response.status == 404:
            return None
        if response.status >= 400:
            raise TransientError(f"CalDAV GET {href}: HTTP {response.status}")
        return RemoteObject(href, response.headers.get("ETag", ""), _text(response))

    def put(self, uid: str, data: bytes, *, etag: str | None) -> str:
        """Create (etag None: If-None-Match: *) or update (If-Match: etag). Returns the new ETag.

        A 412 means someone changed the object since we read it (or created it): a retry
        re-reads and merges, so it is reported as transient.
        """
        href = self.href_for(uid)
        headers = dict(ICAL_HEADERS)
        if etag is None:
            headers["If-None-Match"] = "*"
        elif etag:
            headers["If-Match"] = etag
        response = self._call("PUT", self._connect().put, href, data.decode(), headers)
        body = _text(response) if response.status >= 400 else ""
        refused = _refused_precondition(body)
        if refused is not None:
            said = _description(body)
            raise PermanentError(
                f"CalDAV PUT {href}: the server refuses the calendar data "
                f"({refused}, HTTP {response.status}){': ' + said if said else ''}"
            )
        if response.status == 412:
            raise TransientError(f"CalDAV PUT {href}: changed on the server meanwhile (412)")
        if 400 <= response.status < 500:
            raise PermanentError(
                f"CalDAV PUT {href}: HTTP {response.status} {_text(response)[:500]}"
            )
        if response.status >= 500:
            raise TransientError(f"CalDAV PUT {href}: HTTP {response.status}")
        return str(response.headers.get("ETag", ""))

    def delete(self, uid: str, *, etag: str) -> None:
        """Delete the organizer's copy: a scheduling server then sends CANCEL to attendees."""
        href = self.href_for(uid)
        headers = {"If-Match": etag} if etag else {}
        response = self._call("DELETE", self._connect().delete, href, headers)
        if response.status in (404, 410):
            return
        if response.status == 412:
            raise TransientError(f"CalDAV DELETE {href}: changed on the server meanwhile (412)")
        if response.status >= 400:
            raise TransientError(f"CalDAV DELETE {href}: HTTP {response.status}")

    # ------------------------------------------------------------ answers

    def sync(self, token: str | None) -> SyncResult:
        """Objects changed since ``token`` (RFC 6578); everything when the token is unknown."""
        result: SyncResult = self._call("sync", self._sync, token)
        return result

    def _sync(self, token: str | None) -> SyncResult:
        cal = DavCalendar(client=self._connect(), url=self.calendar_url())
        collection: Any = cal.get_objects_by_sync_token(token or None, load_objects=False)
        result = SyncResult(token=str(collection.sync_token or ""))
        result.full = token is None or result.token.startswith("fake-")
        for obj in collection:
            href = str(obj.url)
            response = self._connect().request(href, "GET")
            if response.status == 404:
                result.deleted.append(href)
                continue
            result.changed.append(
                RemoteObject(href, response.headers.get("ETag", ""), _text(response))
            )
        return result

    # ------------------------------------------------------------ free/busy

    def busy_addresses(self, addresses: Iterable[str], start: datetime, end: datetime) -> set[str]:
        """Addresses (lower-case mailto:) the server reports busy in [start, end).

        RFC 6638 free/busy through the organizer's outbox; a server that cannot answer (no
        scheduling, no authority over that user: 3.x status) reports nobody busy.
        """
        wanted = [a if a.lower().startswith("mailto:") else f"mailto:{a}" for a in addresses]
        if not wanted or not self.supports_scheduling():
            return set()
        principal = self._call("principal", lambda: self._connect().get_principal())
        answers = self._call("free/busy", principal.freebusy_request, start, end, wanted)
        busy: set[str] = set()
        for address, answer in (answers or {}).items():
            if address == "errors" or answer is None:
                continue
            text = getattr(answer, "data", answer)
            if isinstance(text, bytes):
                text = text.decode()
            if isinstance(text, str) and _has_busy_period(text, start, end):
                busy.add(str(address).lower())
        return busy


# Preconditions a server names in a DAV:error body when it refuses what we wrote (RFC 4791
# §5.3.2.1, RFC 6638 §3.2.4.1): the same data would be refused again, so no retry. A 412
# without one of these is an If-Match/If-None-Match race, which a retry resolves.
_PRECONDITIONS = re.compile(
    r"<(?:[\w.-]+:)?("
    r"valid-calendar-data|valid-calendar-object-resource|supported-calendar-data"
    r"|supported-calendar-component|calendar-collection-location-ok|max-resource-size"
    r"|min-date-time|max-date-time|max-instances|max-attendees-per-instance|no-uid-conflict"
    r"|unique-scheduling-object-resource|same-organizer-in-all-components"
    r"|allowed-organizer-scheduling-object-change|allowed-attendee-scheduling-object-change"
    r"|valid-scheduling-message|valid-organizer|valid-attendee"
    r")\b"
)


_DESCRIPTION = re.compile(r"<(?:[\w.-]+:)?responsedescription>(.*?)</", re.S)


def _refused_precondition(body: str) -> str | None:
    found = _PRECONDITIONS.search(body)
    return found.group(1) if found else None


def _description(body: str) -> str:
    """The server's own words (DAV:responsedescription), shortened, for the coordinator."""
    found = _DESCRIPTION.search(body)
    return html.unescape(found.group(1)).strip()[:300] if found else ""


def _text(response: Any) -> str:
    # caldav keeps a body it parsed as XML (a DAV:error) in _raw, and leaves _raw_body empty.
    raw = getattr(response, "_raw_body", b"") or getattr(response, "_raw", b"") or b""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return str(raw)


def _has_busy_period(text: str, start: datetime, end: datetime) -> bool:
    """True when a VFREEBUSY answer has a non-FREE period overlapping [start, end)."""
    try:
        cal = Calendar.from_ical(text)
    except ValueError:
        log.warning("unreadable free/busy answer skipped")
        return False
    for fb in cal.walk("VFREEBUSY"):
        periods = fb.get("FREEBUSY")
        if periods is None:
            continue
        # icalendar gives one vPeriod per period (several per line, several lines: a list).
        for prop in periods if isinstance(periods, list) else [periods]:
            if str(prop.params.get("FBTYPE", "BUSY")).upper() == "FREE":
                continue
            p_start, p_end = prop.dt
            if isinstance(p_end, timedelta):
                p_end = p_start + p_end
            if p_start < end and p_end > start:
                return True
    return False


def freebusy_port(factory: Callable[[], CalDavGateway | None]) -> Any:
    """The allocator's ``freebusy(representatives, start, end) -> set[int]`` port.

    Representatives the server reports busy are left out; a server that cannot answer, or
    no server at all, gives an empty set (allocation works as without free/busy).
    """

    def freebusy(representatives: Iterable[Any], start: datetime, end: datetime) -> set[int]:
        reps = list(representatives)
        gateway = factory() if reps else None
        if gateway is None:
            return set()
        by_address = {_address(r): r.id for r in reps}
        try:
            busy = gateway.busy_addresses(by_address, start, end)
        except Exception as exc:  # free/busy is advisory: never fail a booking because of it
            log.warning("free/busy unavailable, allocating without it: %s", exc)
            return set()
        finally:
            gateway.close()
        return {rep_id for address, rep_id in by_address.items() if address in busy}

    return freebusy


def _address(rep: Any) -> str:
    address = str(getattr(rep, "address", "") or f"mailto:{rep.email}")
    return (address if address.lower().startswith("mailto:") else f"mailto:{address}").lower()


def bare_address(address: str) -> str:
    """ "mailto:Forum@Mora.example" → "forum@mora.example"."""
    address = address.strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    return address.lower()
