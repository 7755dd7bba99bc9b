"""What the invitation work is given from outside: its settings and the CalDAV gateway's shape.

``booking.app`` builds the config from the settings and wires the real gateway
(booking.adapters.caldav_gateway) in; the services only know these shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class InvitationConfig:
    organizer_default: str  # settings.organizer_email, when a forum has none
    base_url: str  # settings.public_base_url
    secret_key: str  # derives the personal RSVP tokens
    mail_domain: str = "dorren-in.example"  # right-hand side of Message-IDs


class RemoteCopy(Protocol):
    href: str
    etag: str
    data: str


class CalendarPort(Protocol):
    """What the worker needs of the CalDAV gateway (booking.adapters.caldav_gateway)."""

    def supports_scheduling(self) -> bool: ...

    def get(self, uid: str) -> RemoteCopy | None: ...

    def put(self, uid: str, data: bytes, *, etag: str | None) -> str: ...

    def delete(self, uid: str, *, etag: str) -> None: ...
