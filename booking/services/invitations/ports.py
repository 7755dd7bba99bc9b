"""What the invitation work is given from outside: its settings and the CalDAV gateway's shape.

``booking.app`` builds the config from the settings and wires the real gateway
(booking.adapters.caldav_gateway) in; the services only know these shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from config import Settings


@dataclass(frozen=True)
class InvitationConfig:
    organizer_default: str  # settings.organizer_email, when a forum has none
    base_url: str  # settings.public_base_url
    secret_key: str  # derives the personal RSVP tokens
    mail_domain: str = "dorren-in.example"  # right-hand side of Message-IDs

    @classmethod
    def from_settings(cls, settings: Settings) -> InvitationConfig:
        domain = settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "dorren-in.example"
        return cls(
            organizer_default=settings.organizer_email,
            base_url=settings.public_base_url,
            secret_key=settings.secret_key,
            mail_domain=domain,
        )


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
