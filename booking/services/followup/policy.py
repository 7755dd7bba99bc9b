"""The follow-through policy: minutes, NKI surveys, follow-up reminders, retention."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config import Settings


@dataclass(frozen=True)
class FollowupPolicy:
    # The field names are the settings' names: the services read ``settings.<name>`` of either.
    public_base_url: str
    secret_key: str  # derives the customer's case-page token in the minutes e-mail
    forum_timezone: str = "Europe/Stockholm"
    survey_delay_days: int = 3
    survey_scale: int = 6
    retention_years: int = 0
    followup_reminder_days: tuple[int, ...] = (7, 1)

    @classmethod
    def from_settings(cls, settings: Settings) -> FollowupPolicy:
        return cls(
            public_base_url=settings.public_base_url,
            secret_key=settings.secret_key,
            forum_timezone=settings.forum_timezone,
            survey_delay_days=settings.survey_delay_days,
            survey_scale=settings.survey_scale,
            retention_years=settings.retention_years,
            followup_reminder_days=settings.followup_reminder_days,
        )
