"""The booking policy a unit of work carries: minimum notice and the host of meeting UIDs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy.orm import Session as Db

from booking.services.policies import policies_of

if TYPE_CHECKING:
    from config import Settings


@dataclass(frozen=True)
class BookingPolicy:
    """Settings the booking rules need. Part of the session's policies
    (booking.services.policies): a unit of work carries its own configuration, and no
    module-level state differs between apps."""

    min_notice_working_days: int = 5
    uid_host: str = "dorren-in.local"

    @classmethod
    def from_settings(cls, settings: Settings) -> BookingPolicy:
        return cls(
            min_notice_working_days=settings.min_notice_working_days,
            uid_host=urlsplit(settings.public_base_url).hostname or "dorren-in.local",
        )


def policy_of(db: Db) -> BookingPolicy:
    """The session's booking policy; MissingPolicies for a session made without policies."""
    return policies_of(db).booking
