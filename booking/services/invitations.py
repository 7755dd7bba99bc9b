"""Invitation work for the outbox (owned by the CalDAV work, issue 5); placeholder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from booking.models import Meeting


def enqueue_for_meeting(db: Session, meeting: Meeting, change: str, now: datetime) -> None:
    """Write the CalDAV/iMIP work for this change into the outbox (same transaction)."""
