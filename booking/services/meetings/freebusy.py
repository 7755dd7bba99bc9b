"""The representatives' own calendars (CalDAV free/busy), asked once per use case.

Free/busy is a network call (up to the CalDAV timeout). A use case asks it while it reads, before
its transaction locks anything (``FreeBusyAnswers``), then ``seal()``s the answers: the checks
made under the lock, and the reruns after a lost race, are answered from what was recorded.
A failing calendar never stops a booking: its failure is logged and counts as "nobody busy".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

from booking.domain import allocation as alloc
from booking.models import Representative

log = logging.getLogger(__name__)

# (representatives, start, end) → ids of those busy in their own calendars (CalDAV free/busy).
FreeBusy = Callable[[list[Representative], datetime, datetime], set[int]]


class FreeBusyAnswers:
    """Free/busy answers for one use case, one question per time span.

    Each span is asked once, for every representative the case could use (``reps``), so a later
    question about any of them for that span is answered without the network. After ``seal()``
    nothing more is asked: a span not asked before counts as nobody busy (as an outage does).
    """

    def __init__(self, freebusy: FreeBusy | None) -> None:
        self._freebusy = freebusy
        self._answers: dict[tuple[datetime, datetime], tuple[frozenset[int], set[int]]] = {}
        self.sealed = False

    def seal(self) -> None:
        """From now on answer only from what was asked (the caller is about to lock rows)."""
        self.sealed = True

    def port(
        self, reps: Mapping[int, Representative], everyone: Collection[int]
    ) -> alloc.ExternalBusy | None:
        """The allocator's ``external_busy`` over ``reps``; ``everyone``: the ids to ask about
        whenever a span is asked (every representative the case could use)."""
        if self._freebusy is None:
            return None

        def busy(rep_ids: Sequence[int], start: datetime, end: datetime) -> set[int]:
            return self._busy(reps, everyone, rep_ids, start, end)

        return busy

    def ask(
        self,
        reps: Mapping[int, Representative],
        everyone: Collection[int],
        start: datetime,
        end: datetime,
    ) -> None:
        """Ask about a span now (before a lock), so that a sealed check of it needs no call."""
        if self._freebusy is not None:
            self._busy(reps, everyone, list(everyone), start, end)

    def _busy(
        self,
        reps: Mapping[int, Representative],
        everyone: Collection[int],
        rep_ids: Sequence[int],
        start: datetime,
        end: datetime,
    ) -> set[int]:
        wanted = set(rep_ids)
        asked, busy = self._answers.get((start, end), (frozenset(), set()))
        missing = wanted - asked
        if missing and not self.sealed and self._freebusy is not None:
            ask = sorted((set(everyone) | missing) - asked)
            busy = busy | self._call([reps[i] for i in ask if i in reps], start, end)
            asked = asked | frozenset(ask)
            self._answers[(start, end)] = (asked, busy)
        return busy & wanted

    def _call(self, reps: list[Representative], start: datetime, end: datetime) -> set[int]:
        assert self._freebusy is not None
        try:
            return set(self._freebusy(reps, start, end))
        except Exception as exc:  # a calendar outage must not stop allocation
            log.warning("free/busy lookup failed, allocating without it: %s", exc)
            return set()
