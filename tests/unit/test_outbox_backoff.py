"""The outbox's retry backoff (the claims and leases need a database: test_outbox.py)."""

from __future__ import annotations

from booking.services.invitations import outbox
from booking.services.invitations.outbox import OutboxPolicy


def test_backoff_doubles_and_is_capped() -> None:
    policy = OutboxPolicy(backoff_base_seconds=30, backoff_max_seconds=3600)
    assert [outbox.backoff(n, policy).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(20, policy).total_seconds() == 3600
