"""What the feeds are built with: the settings (``FeedConfig``) and each feed kind's audience.

The app builds one ``FeedConfig`` from the settings (``FeedConfig.from_settings``) as part of
the session's policies (booking.services.policies), so the changing transaction can render the
changed meetings (``cache``); the feed routes take the same from the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from config import Settings

# The audience each private feed kind is rendered for (booking.domain.visibility.Audience).
AUDIENCE_OF = {
    "department": "department",
    "representative": "representative",
    "forum": "forum",
    "case": "customer",
}


@dataclass(frozen=True)
class FeedConfig:
    base_url: str
    days_back: int = 60
    months_ahead: int = 18
    cancelled_keep_days: int = 30
    refresh_minutes: int = 60
    timezone: str = "Europe/Stockholm"
    # Sessions and slots change outside the meeting hooks (regeneration, a cancelled afternoon),
    # so the public availability feed is also rebuilt after this long (same bytes keep the ETag).
    availability_ttl: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedConfig:
        return cls(
            base_url=settings.public_base_url,
            days_back=settings.feed_window_days_back,
            months_ahead=settings.feed_window_months_ahead,
            cancelled_keep_days=settings.feed_cancelled_keep_days,
            refresh_minutes=settings.feed_refresh_minutes,
            timezone=settings.forum_timezone,
        )

    @property
    def uid_domain(self) -> str:
        return urlsplit(self.base_url).hostname or "dorren-in.example"
