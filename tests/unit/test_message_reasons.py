"""Every reason a service raises has a web translation (read from the source, no app)."""

from __future__ import annotations

import re
from pathlib import Path

from booking.public.messages import BY_REASON as PUBLIC_BY_REASON
from booking.web.messages import BY_REASON

ROOT = Path(__file__).resolve().parents[2]
# Reasons booking_problem() words itself (a refused booking or move).
BOOKING_REASONS = {"slot_unavailable", "too_soon", "slot_taken", "same_slot", "no_slot"}


def test_every_reason_a_service_raises_has_a_translation() -> None:
    raised: set[str] = set()
    for path in (ROOT / "booking" / "services").rglob("*.py"):
        if path.name != "demo.py":  # demo data names pause periods with reason="sportlov"
            raised |= set(re.findall(r'reason="([a-z_]+)"', path.read_text()))
    assert raised, "no reasons found: the pattern no longer matches the services"
    # The survey is only answered on its public page, which words its own errors.
    public_only = {"survey_answers", "survey_answered"}
    assert raised - set(BY_REASON) - BOOKING_REASONS - public_only == set()
    assert public_only <= set(PUBLIC_BY_REASON)
