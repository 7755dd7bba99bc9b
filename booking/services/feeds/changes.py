"""A feed's member list brought up to date from what changed, instead of read whole.

After one change, a 10,000-event feed spent most of its rebuild listing its members (the whole
membership query: 50–70 ms, issue 16). Every change already passes through
``invalidate._invalidate``, which knows the changed meetings and raises the generation of every
feed that shows them. So:

- ``record`` (writers) stores, per raised (feed, generation), the meetings that raised it:
  ``feed_changes``. A generation is raised under the row's lock, so a feed's generations
  commit in order and a reader sees no gaps that later fill in.
- ``MemberMemory`` (each process) keeps the member list of the last build of a feed: its rows
  (start, meeting id, piece digest) in feed order, with the row's lineage, generation and
  window.
- ``members`` answers a rebuild: from the remembered list when it is of the same stored row
  (lineage), the same window (it moves with the date, and with the feed settings) and every
  generation since is recorded with its meetings; then only those meetings' membership is
  read again and merged in. Otherwise the whole membership is read.

Why remembered rows stay right: a row of the list was read after the commit of its generation
g, and a meeting changed since then is in the records of a later generation, so it is read
again. The piece digests likewise: a piece is only ever replaced by an invalidation of its
meeting. ``tests/integration/test_feed_changes.py`` checks the merged list against the whole
query after random changes, on both databases.
"""

from __future__ import annotations

import threading
from bisect import insort
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from booking.models.feeds import FeedChange
from booking.services.feeds.membership import feed_query, window_params
from booking.services.feeds.policy import FeedConfig

# A change touching more meetings than this (a department renamed) is recorded as "anything":
# the next build reads the whole membership, which is then cheaper than the long list.
MAX_RECORDED_MEETINGS = 200
# Records older than this many generations of a feed are deleted (every PRUNE_EVERY-th
# generation, by the writer that raised it); a process further behind reads the whole list.
KEEP_GENERATIONS = 64
PRUNE_EVERY = 16

# (starts_at, meeting id, piece digest or None when not rendered): sorts in feed order.
Member = tuple[datetime, int, str | None]


def record(
    db: Session,
    raised: Sequence[tuple[str, int]],
    meeting_ids: Collection[int],
    exact_keys: Collection[str],
) -> None:
    """Record what raised each (feed key, new generation).

    ``exact_keys`` are the feeds found from ``meeting_ids`` themselves: whatever changed in them
    is among those meetings. Any other key (a feed named by the caller, e.g. after a rename)
    gets an "anything" record."""
    rows: list[dict[str, object]] = []
    for key, generation in raised:
        if key in exact_keys and 0 < len(meeting_ids) <= MAX_RECORDED_MEETINGS:
            rows.extend(
                {"feed_key": key, "generation": generation, "meeting_id": m} for m in meeting_ids
            )
        else:
            rows.append({"feed_key": key, "generation": generation, "meeting_id": None})
    if rows:
        db.execute(insert(FeedChange), rows)
    old = [
        and_(FeedChange.feed_key == key, FeedChange.generation <= generation - KEEP_GENERATIONS)
        for key, generation in raised
        if generation % PRUNE_EVERY == 0
    ]
    if old:
        db.execute(delete(FeedChange).where(or_(*old)).execution_options(synchronize_session=False))


_CHANGES = select(FeedChange.generation, FeedChange.meeting_id).where(
    FeedChange.feed_key == bindparam("feed_key"),
    FeedChange.generation > bindparam("since"),
    FeedChange.generation <= bindparam("upto"),
)


def changed_since(conn: Connection, key: str, since: int, upto: int) -> set[int] | None:
    """The meetings changed in the feed's generations (since, upto]; None when that is not
    known (a generation without records, pruned or from before the records, or "anything")."""
    if upto < since:
        return None
    if upto == since:
        return set()
    generations: set[int] = set()
    meetings: set[int] = set()
    for generation, meeting_id in conn.execute(
        _CHANGES, {"feed_key": key, "since": since, "upto": upto}
    ):
        if meeting_id is None:
            return None
        generations.add(generation)
        meetings.add(meeting_id)
    return meetings if len(generations) == upto - since else None


@dataclass(frozen=True)
class Remembered:
    lineage: str
    generation: int
    window: tuple[datetime, ...]
    rows: list[Member]


class MemberMemory:
    """The member lists of the feeds this process built last, least recently used dropped
    first, bounded by the number of rows held."""

    def __init__(self, max_rows: int = 1_000_000) -> None:
        self._items: OrderedDict[str, Remembered] = OrderedDict()
        self._rows = 0
        self._max = max_rows
        self._lock = threading.Lock()

    def get(self, key: str) -> Remembered | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: str, item: Remembered) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            self._rows -= len(old.rows) if old else 0
            self._items[key] = item
            self._rows += len(item.rows)
            while self._rows > self._max and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._rows -= len(dropped.rows)

    def forget(self) -> None:
        with self._lock:
            self._items.clear()
            self._rows = 0


memory = MemberMemory()


def members(
    conn: Connection,
    key: str,
    day: datetime,
    config: FeedConfig,
    stored: tuple[str | None, int] | None,
) -> list[Member]:
    """The feed's members in order. ``stored`` is the stored row's (lineage, generation) read
    under the rebuild's lock, or None for a feed not stored yet."""
    kind, ident = key.split(":", 1)
    window = window_params(day, config)
    params = {"ident": int(ident), **window}
    before = memory.get(key)
    if stored is not None and before is not None:
        lineage, generation = stored
        if before.lineage == lineage and before.window == _key_of(window):
            changed = changed_since(conn, key, before.generation, generation)
            if changed is not None:
                return _merge(conn, kind, params, before.rows, changed)
    return [_member(row) for row in conn.execute(feed_query(kind), params)]


def _merge(
    conn: Connection,
    kind: str,
    params: dict[str, object],
    rows: list[Member],
    changed: set[int],
) -> list[Member]:
    if not changed:
        return list(rows)
    merged = [row for row in rows if row[1] not in changed]
    for row in conn.execute(feed_query(kind, among=True), {**params, "ids": sorted(changed)}):
        insort(merged, _member(row))
    return merged


def _member(row: Sequence[Any]) -> Member:
    return (row[2], row[0], row[1])  # feed_query's (id, digest, start) in sort order


def remember(
    key: str,
    stored: tuple[str | None, int] | None,
    day: datetime,
    config: FeedConfig,
    rows: list[Member],
) -> None:
    """Keep the list just built, as of the stored row's generation read before building."""
    if stored is None or stored[0] is None:
        return  # a first build: the row's lineage is not known until it is stored
    window = _key_of(window_params(day, config))
    memory.put(key, Remembered(stored[0], stored[1], window, rows))


def _key_of(window: dict[str, datetime]) -> tuple[datetime, ...]:
    return tuple(window[name] for name in sorted(window))
