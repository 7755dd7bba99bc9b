"""Building feeds and storing them: the pieces (``feed_events``) and the bodies (``feed_bodies``).

Two levels are stored:
- ``feed_events``: each meeting's VEVENT rendered once per change and per audience;
- ``feed_bodies``: each feed's assembled body, its gzip, a strong ETag (hash of the body) and a
  Last-Modified that only moves forward, and strictly forward when the body changes.

``rebuild`` assembles a feed from the stored pieces of its meetings (``membership``), rendering
only the missing ones, stores the body and commits. The request path (``request``) calls it for
a stale or expired feed; invalidation (``cache``) marks feeds stale in the changing transaction.
The gzip is made chunk by chunk (``zipped``): a change re-compresses the chunk it is in.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload, selectinload

from booking.db import conflict_insert
from booking.domain.vocabulary import SessionKind, SessionStatus
from booking.ical.feed import (
    TAIL,
    FeedHeader,
    SlotView,
    assemble,
    availability_event,
    calendar_head,
    render_event,
)
from booking.models import (
    Attendee,
    Case,
    Department,
    Forum,
    Meeting,
    Representative,
    Slot,
)
from booking.models import Session as ForumSession
from booking.models.feeds import FeedBody, FeedEvent
from booking.services.feeds import changes, single_flight
from booking.services.feeds.membership import members_digest, record_members
from booking.services.feeds.policy import AUDIENCE_OF, FeedConfig
from booking.services.feeds.zipped import gzip_feed

log = logging.getLogger(__name__)

RENDER_CHUNK = 400


@dataclass(frozen=True)
class FeedState:
    """What a request needs before deciding between 304 and 200."""

    feed_key: str
    etag: str
    last_modified: datetime
    # The bytes a rebuild has just stored, so the request it served need not read them back
    # and unpack the gzip (a 10,000-event feed is 6.8 MB); None otherwise.
    built: FeedBytes | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class FeedBytes:
    etag: str
    last_modified: datetime
    body: bytes
    body_gzip: bytes

    @classmethod
    def from_gzip(cls, etag: str, last_modified: datetime, zipped: bytes) -> FeedBytes:
        """As stored: the gzip only (the plain body is unpacked once, here)."""
        zipped = bytes(zipped)
        return cls(etag, last_modified, gzip.decompress(zipped), zipped)


_OLD_BY_KEY = select(
    FeedBody.etag,
    FeedBody.last_modified,
    FeedBody.members_digest,
    FeedBody.generation,
    FeedBody.lineage,
).where(FeedBody.feed_key == bindparam("feed_key"))


def _day_start(now: datetime) -> datetime:
    # Feeds depend on the date only (window, expiry of cancelled meetings), not the minute.
    return datetime.combine(now.astimezone(UTC).date(), time(), UTC)


def make_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def rebuild(db: Session, key: str, now: datetime, config: FeedConfig) -> FeedState:
    """Assemble the feed from stored pieces (rendering what is missing), store it, commit.

    Retried when a concurrent writer gets in the way (SQLite's busy snapshot, a lost race on
    PostgreSQL): the data it read may be out of date, so it starts again from a fresh read.
    """
    with single_flight.one_at_a_time(key):
        for attempt in range(3):
            try:
                return _rebuild_once(db, key, now, config)
            except (OperationalError, IntegrityError):
                db.rollback()
                if attempt == 2:
                    raise
                log.info("feed %s: rebuild raced with a writer, retrying", key)
    raise AssertionError("unreachable")


def _rebuild_once(db: Session, key: str, now: datetime, config: FeedConfig) -> FeedState:
    kind, ident = key.split(":", 1)
    day = _day_start(now)
    # A rebuild writes only derived data (renderings, assembled bodies) that the next request
    # rebuilds if lost: on SQLite it skips the WAL fsync for this commit (synchronous=NORMAL);
    # every other transaction keeps full durability.
    relaxed = _sqlite_synchronous(db, "NORMAL")
    single_flight.lock_across_processes(db, key)
    done = single_flight.fresh_row(db, key, now)
    if done is not None:  # rebuilt by the request this one waited for: serve that
        db.commit()
        if relaxed:
            _sqlite_synchronous(db, "FULL")
        return FeedState(key, done.etag, done.last_modified)
    old = db.connection().execute(_OLD_BY_KEY, {"feed_key": key}).first()
    if kind == "availability":
        head, pieces, ids = _availability(db, int(ident), day, config)
        digests = [piece_digest(p) for p in pieces]
        valid_until = min(day + timedelta(days=1), now + config.availability_ttl)
    else:
        stored = (old.lineage, old.generation) if old is not None else None
        head, pieces, digests, ids = _meetings_feed(db, key, day, config, stored)
        valid_until = day + timedelta(days=1)
    if old is None:
        # A change committed while this first build read would find no row to mark stale:
        # a first build is trusted for a minute only.
        valid_until = min(valid_until, now + timedelta(minutes=1))
    digest = members_digest(ids)
    if old is None or old.members_digest != digest:
        record_members(db, key, ids)
    body = assemble(head, pieces)
    zipped = lambda: gzip_feed(head, pieces, digests, TAIL, body)  # noqa: E731
    state = _store(db, key, body, zipped, len(pieces), now, valid_until, old, digest)
    db.commit()
    if relaxed:
        _sqlite_synchronous(db, "FULL")
    return state


def _sqlite_synchronous(db: Session, level: str) -> bool:
    """Set SQLite's fsync level when no transaction is open (SQLite refuses it inside one)."""
    conn = db.connection()
    if conn.dialect.name != "sqlite":
        return False
    raw = conn.connection.dbapi_connection
    if raw is None or getattr(raw, "in_transaction", True):
        return False
    conn.exec_driver_sql(f"PRAGMA synchronous={level}")
    return True


def _store(
    db: Session,
    key: str,
    body: bytes,
    zipped: Callable[[], bytes],
    count: int,
    now: datetime,
    valid_until: datetime,
    old: Any,
    digest: str,
) -> FeedState:
    etag = make_etag(body)
    if old is not None and old.etag == etag:  # same bytes: keep validators, skip the gzip
        db.execute(
            update(FeedBody)
            # Only if nobody invalidated the feed since this build read its data.
            .where(FeedBody.feed_key == key, FeedBody.generation == old.generation)
            .values(stale=False, built_at=now, valid_until=valid_until, members_digest=digest)
            .execution_options(synchronize_session=False)
        )
        return FeedState(key, etag, old.last_modified)
    last_modified = now.replace(microsecond=0)
    if old is not None and last_modified <= old.last_modified:
        # HTTP dates have one-second resolution: a changed body must get a later date.
        last_modified = old.last_modified + timedelta(seconds=1)
    body_gzip = zipped()
    values = {
        "feed_key": key,
        "body_gzip": body_gzip,
        "body_size": len(body),
        "etag": etag,
        "last_modified": last_modified,
        "built_at": now,
        "valid_until": valid_until,
        "stale": False,
        "event_count": count,
        "members_digest": digest,
        "generation": old.generation if old is not None else 0,
        "lineage": secrets.token_hex(8),  # kept by an existing row (``_upsert_body``)
    }
    _upsert_body(db, values)
    built = FeedBytes(etag, last_modified, body, body_gzip)
    return FeedState(key, etag, last_modified, built)


def _upsert_body(db: Session, values: dict[str, Any]) -> None:
    """Store a built feed. If an invalidation bumped the generation after this build read its
    data, the new body is stored but stays stale, so the next request builds again."""
    stmt = conflict_insert(db, FeedBody).values(**values)
    changed: dict[str, Any] = {
        k: stmt.excluded[k]
        for k in values
        if k not in ("feed_key", "generation", "stale", "lineage")
    }
    changed["stale"] = FeedBody.generation != stmt.excluded.generation
    db.execute(stmt.on_conflict_do_update(index_elements=["feed_key"], set_=changed))


def upsert(db: Session, model: Any, values: dict[str, Any], keys: list[str]) -> None:
    """INSERT .. ON CONFLICT DO UPDATE (two requests may rebuild the same feed at once)."""
    stmt = conflict_insert(db, model).values(**values)
    changed = {k: stmt.excluded[k] for k in values if k not in keys}
    db.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changed))


def _header(db: Session, kind: str, ident: int, config: FeedConfig) -> FeedHeader:
    refresh = timedelta(minutes=config.refresh_minutes)
    if kind == "department":
        name = db.scalar(select(Department.name).where(Department.id == ident)) or "?"
        title, text = f"Forum – {name}", f"Forummöten för {name} / Forum meetings of {name}"
    elif kind == "representative":
        name = db.scalar(select(Representative.name).where(Representative.id == ident)) or "?"
        title, text = f"Forum – {name}", f"Forummöten för {name} / Forum meetings of {name}"
    elif kind == "forum":
        name = db.scalar(select(Forum.name).where(Forum.id == ident)) or "?"
        title, text = f"{name} – alla möten", f"Alla möten i {name} / All meetings of {name}"
    else:
        row = db.execute(
            select(Case.reference, Forum.name).join(Forum).where(Case.id == ident)
        ).first()
        ref, forum = (row.reference, row.name) if row else ("?", "Forum")
        title, text = f"{forum} – ärende {ref}", f"Möten om ärende {ref} / Meetings of case {ref}"
    return FeedHeader(title, text, config.timezone, refresh)


class _PieceMemory:
    """Stored VEVENT bytes this process has already read, keyed by (meeting, audience) and
    checked against the stored digest: a rebuild after one change reads one blob, not all."""

    def __init__(self, max_bytes: int = 128 * 1024 * 1024) -> None:
        self._items: dict[tuple[int, str], tuple[str, bytes]] = {}
        self._size = 0
        self._max = max_bytes
        self._lock = threading.Lock()

    def get(self, meeting_id: int, audience: str, digest: str) -> bytes | None:
        item = self._items.get((meeting_id, audience))
        return item[1] if item is not None and item[0] == digest else None

    def put(self, meeting_id: int, audience: str, digest: str, data: bytes) -> None:
        with self._lock:
            if self._size + len(data) > self._max:  # simple bound: start over
                self._items.clear()
                self._size = 0
            old = self._items.get((meeting_id, audience))
            self._size += len(data) - (len(old[1]) if old else 0)
            self._items[(meeting_id, audience)] = (digest, data)


_pieces = _PieceMemory()


def piece_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def event_row(meeting_id: int, audience: str, data: bytes) -> dict[str, Any]:
    return {
        "meeting_id": meeting_id,
        "audience": audience,
        "ical": data,
        "digest": piece_digest(data),
    }


def _meetings_feed(
    db: Session,
    key: str,
    day: datetime,
    config: FeedConfig,
    stored: tuple[str | None, int] | None,
) -> tuple[bytes, list[bytes], list[str], list[int]]:
    """The feed's head, its pieces in order with their digests, and its meeting ids.
    ``stored``: the stored row's (lineage, generation), read under the rebuild's lock."""
    kind, ident = key.split(":", 1)
    audience = AUDIENCE_OF[kind]
    conn = db.connection()  # Core rows: no ORM row processing on the big reads
    rows = changes.members(conn, key, day, config, stored)
    # meeting id → (digest, VEVENT bytes): the digest of the bytes actually used, which names
    # the gzip chunks (zipped), also when a piece was rendered again since ``rows`` was read.
    known: dict[int, tuple[str, bytes]] = {}
    to_read: list[int] = []
    missing: list[int] = []
    for _, mid, digest in rows:
        if digest is None:
            missing.append(mid)
        elif (data := _pieces.get(mid, audience, digest)) is not None:
            known[mid] = (digest, data)
        else:
            to_read.append(mid)
    for i in range(0, len(to_read), RENDER_CHUNK):
        for mid, digest, data in conn.execute(
            select(FeedEvent.meeting_id, FeedEvent.digest, FeedEvent.ical).where(
                FeedEvent.audience == audience,
                FeedEvent.meeting_id.in_(to_read[i : i + RENDER_CHUNK]),
            )
        ):
            known[mid] = (digest, data)
            _pieces.put(mid, audience, digest, data)
    if missing:
        rendered = render_meetings(db, missing, audience, config)
        known.update((mid, (piece_digest(data), data)) for mid, data in rendered.items())
    ids = [mid for _, mid, _ in rows]
    digests = [known[mid][0] for mid in ids]
    remembered: list[changes.Member] = [
        (at, mid, d) for (at, mid, _), d in zip(rows, digests, strict=True)
    ]
    changes.remember(key, stored, day, config, remembered)
    head = calendar_head(_header(db, kind, int(ident), config))
    return head, [known[mid][1] for mid in ids], digests, ids


def render_meetings(
    db: Session, meeting_ids: Sequence[int], audience: str, config: FeedConfig
) -> dict[int, bytes]:
    """Render and store the VEVENTs of these meetings for one audience."""
    out: dict[int, bytes] = {}
    for i in range(0, len(meeting_ids), RENDER_CHUNK):
        chunk = meeting_ids[i : i + RENDER_CHUNK]
        meetings = db.scalars(
            select(Meeting)
            .where(Meeting.id.in_(chunk))
            .options(
                joinedload(Meeting.case).joinedload(Case.forum),
                joinedload(Meeting.case).selectinload(Case.departments),
                selectinload(Meeting.attendees).joinedload(Attendee.department),
                joinedload(Meeting.convener),
                joinedload(Meeting.minute_taker),
            )
        ).unique()
        for meeting in meetings:
            out[meeting.id] = render_event(meeting, audience, config.base_url)
    for meeting_id, data in out.items():
        upsert(db, FeedEvent, event_row(meeting_id, audience, data), ["meeting_id", "audience"])
        _pieces.put(meeting_id, audience, piece_digest(data), data)
    return out


def _availability(
    db: Session, forum_id: int, day: datetime, config: FeedConfig
) -> tuple[bytes, list[bytes], list[int]]:
    forum = db.get(Forum, forum_id)
    if forum is None:
        raise ValueError(f"no forum {forum_id}")
    end = day + relativedelta(months=config.months_ahead)
    rows = db.execute(
        select(Slot.id, Slot.starts_at, Slot.ends_at, Meeting.id.label("meeting_id"))
        .join(ForumSession, ForumSession.id == Slot.session_id)
        .outerjoin(Meeting, Meeting.slot_id == Slot.id)
        .where(
            ForumSession.forum_id == forum_id,
            ForumSession.status == SessionStatus.SCHEDULED,
            ForumSession.kind == SessionKind.FORUM,  # the evaluation afternoon is not offered
            Slot.starts_at >= day,
            Slot.starts_at < end,
        )
        .order_by(Slot.starts_at)
    ).all()
    # One "changed" time for every slot: the latest change to the forum's sessions or meetings.
    # Deterministic (stable ETag) and never backwards, also when a slot is freed again.
    changed = max(
        db.scalar(
            select(func.max(ForumSession.updated_at)).where(ForumSession.forum_id == forum_id)
        )
        or forum.created_at,
        db.scalar(select(func.max(Meeting.updated_at)).join(Case).where(Case.forum_id == forum_id))
        or forum.created_at,
    )
    if changed.tzinfo is None:  # func.max() bypasses the UTC column type on SQLite
        changed = changed.replace(tzinfo=UTC)
    pieces = [
        availability_event(
            SlotView(r.id, r.starts_at, r.ends_at, r.meeting_id is not None, changed),
            forum_name=forum.name,
            forum_slug=forum.slug,
            location=forum.location,
            tz=forum.timezone,
            uid_domain=config.uid_domain,
        )
        for r in rows
    ]
    header = FeedHeader(
        f"{forum.name} – lediga tider",
        f"Lediga och bokade mötestider i {forum.name} / Free and booked slots in {forum.name}",
        forum.timezone,
        timedelta(minutes=config.refresh_minutes),
    )
    return calendar_head(header), pieces, []
