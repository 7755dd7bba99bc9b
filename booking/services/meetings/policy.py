"""The booking policy a unit of work carries: minimum notice and the host of meeting UIDs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session as Db


@dataclass(frozen=True)
class BookingPolicy:
    """Settings the booking rules need. The composition root puts them on every session it
    makes (``Session.info["booking_policy"]``), as it does the feed settings: a unit of work
    carries its own configuration, and no module-level state differs between apps."""

    min_notice_working_days: int = 5
    uid_host: str = "dorren-in.local"


def policy_of(db: Db) -> BookingPolicy:
    """The session's policy; the defaults for a bare session (a script, a benchmark)."""
    policy = db.info.get("booking_policy")
    return policy if isinstance(policy, BookingPolicy) else BookingPolicy()
