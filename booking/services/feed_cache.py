"""Feed invalidation (owned by the feeds work, issue 4). Placeholder until it lands."""

from __future__ import annotations

from sqlalchemy.orm import Session

from booking.models import Case, Meeting, Representative


def invalidate_meeting(db: Session, meeting: Meeting) -> None:
    """Drop the stored renderings and feeds that show this meeting."""


def invalidate_case(db: Session, case: Case) -> None:
    """Drop the stored renderings and feeds that show any meeting of this case."""


def invalidate_representative(db: Session, representative: Representative) -> None:
    """Drop the feeds that show this representative."""
