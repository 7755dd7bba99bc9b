"""Stored feed pieces and assembled feeds; invalidation in the changing transaction.

Two levels are stored:
- ``feed_events``: each meeting's VEVENT rendered once per change and per audience;
- ``feed_bodies``: each feed's assembled body, its gzip, a strong ETag (hash of the body) and a
  Last-Modified that only moves forward, and strictly forward when the body changes.

A change to a meeting, a case or a representative calls the ``invalidate_*`` functions (through
``meeting_events``) before its commit: they delete the touched renderings and mark exactly the
feeds that show (or showed, see ``feed_members``) the thing stale. The next request of a stale
feed rebuilds it from the stored pieces, re-rendering only the missing events.

The request path (``private_feed_state``) is one indexed Core select: token hash → feed key →
validators; the body is a second select by primary key, which the web layer skips when it
already holds the bytes for that ETag.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import logging
import os
import threading
import weakref
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from dateutil.relativedelta import relativedelta
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased, joinedload, selectinload
from sqlalchemy.sql import Executable, Select

from booking.domain.vocabulary import MeetingStatus, SessionStatus
from booking.ical.feed import (
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
    CaseDepartment,
    Department,
    Forum,
    Meeting,
    Representative,
    Slot,
)
from booking.models import Session as ForumSession
from booking.models.feeds import FeedBody, FeedEvent, FeedMember, FeedToken
from booking.services.policies import policies_of

if TYPE_CHECKING:
    from config import Settings

log = logging.getLogger(__name__)

# The audience each private feed kind is rendered for (booking.domain.visibility.Audience).
AUDIENCE_OF = {
    "department": "department",
    "representative": "representative",
    "forum": "forum",
    "case": "customer",
}
# Level 1: a fifth of level 6's time on a feed, for a somewhat larger file.
GZIP_LEVEL = 1
RENDER_CHUNK = 400


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


@dataclass(frozen=True)
class FeedState:
    """What a request needs before deciding between 304 and 200."""

    feed_key: str
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class FeedBytes:
    etag: str
    last_modified: datetime
    body: bytes
    body_gzip: bytes


# ---------------------------------------------------------------- request path

_PRIVATE_STATE = (
    select(
        FeedToken.feed_key,
        FeedBody.etag,
        FeedBody.last_modified,
        FeedBody.stale,
        FeedBody.valid_until,
    )
    .outerjoin(FeedBody, FeedBody.feed_key == FeedToken.feed_key)
    .where(FeedToken.token_hash == bindparam("token_hash"), FeedToken.revoked_at.is_(None))
)
_STATE_BY_KEY = select(
    FeedBody.etag, FeedBody.last_modified, FeedBody.stale, FeedBody.valid_until
).where(FeedBody.feed_key == bindparam("feed_key"))
_OLD_BY_KEY = select(
    FeedBody.etag, FeedBody.last_modified, FeedBody.members_digest, FeedBody.generation
).where(FeedBody.feed_key == bindparam("feed_key"))
_BYTES_BY_KEY = select(FeedBody.etag, FeedBody.last_modified, FeedBody.body_gzip).where(
    FeedBody.feed_key == bindparam("feed_key")
)


def _fresh(row: Any, now: datetime) -> bool:
    return row.etag is not None and not row.stale and row.valid_until > now


def peek_private(
    conn: Session | Connection, kind: str, token_hash: str, now: datetime
) -> FeedState | None:
    """The validators of a fresh feed behind a token, read-only; None when unknown or stale."""
    row = conn.execute(_PRIVATE_STATE, {"token_hash": token_hash}).first()
    if row is None or not row.feed_key.startswith(f"{kind}:") or not _fresh(row, now):
        return None
    return FeedState(row.feed_key, row.etag, row.last_modified)


def private_feed_state(
    db: Session, kind: str, token_hash: str, now: datetime, config: FeedConfig
) -> FeedState | None:
    """The validators of the feed behind a token, rebuilt first when stale; None for an
    unknown, revoked or other-kind token."""
    row = db.execute(_PRIVATE_STATE, {"token_hash": token_hash}).first()
    if row is None or not row.feed_key.startswith(f"{kind}:"):
        return None
    if not _fresh(row, now):
        return rebuild(db, row.feed_key, now, config)
    return FeedState(row.feed_key, row.etag, row.last_modified)


def availability_state(
    db: Session, forum_slug: str, now: datetime, config: FeedConfig
) -> FeedState | None:
    """The public availability feed of a forum; None for an unknown forum."""
    forum_id = db.scalar(select(Forum.id).where(Forum.slug == forum_slug))
    if forum_id is None:
        return None
    key = f"availability:{forum_id}"
    row = db.execute(_STATE_BY_KEY, {"feed_key": key}).first()
    if row is None or not _fresh(row, now):
        return rebuild(db, key, now, config)
    return FeedState(key, row.etag, row.last_modified)


class FastLookup:
    """The request path without the ORM or SQLAlchemy's execution layer: the two statements
    above compiled once for the engine's dialect and run with the columns' own result
    processors (UTC datetimes, booleans) on one read-only DBAPI connection per thread and
    process, in autocommit (each read sees the latest commit; nothing to roll back). Used by
    the WSGI fast path, where a subscription poll costs one indexed row read."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._state = self._prepare(_PRIVATE_STATE)
        self._bytes = self._prepare(_BYTES_BY_KEY)
        self._local = threading.local()
        self._opened: list[Any] = []
        # Closed explicitly when this object goes (an app in the tests), never left to the GC.
        weakref.finalize(self, _close_all, self._opened)

    def _connection(self) -> Any:
        raw = getattr(self._local, "raw", None)
        if raw is None or self._local.pid != os.getpid():  # new thread, or forked worker
            raw = self.engine.raw_connection()
            if self.engine.dialect.name == "postgresql":
                raw.rollback()  # idle, so autocommit may be switched on
                raw.dbapi_connection.autocommit = True  # type: ignore[union-attr]
            raw.detach()  # ours for the life of the thread, never back into the pool
            self._local.raw, self._local.pid = raw, os.getpid()
            self._opened.append(raw)
        return raw

    def _drop(self) -> None:
        raw = getattr(self._local, "raw", None)
        self._local.raw = None
        if raw is not None:
            _close_all([raw])
            with contextlib.suppress(ValueError):
                self._opened.remove(raw)

    def close(self) -> None:
        _close_all(self._opened)
        self._local = threading.local()

    def _prepare(self, stmt: Any) -> tuple[str, list[str] | None, list[Any]]:
        dialect = self.engine.dialect
        compiled = stmt.compile(dialect=dialect)
        names = list(compiled.positiontup) if compiled.positional else None
        procs = [
            c.type.dialect_impl(dialect).result_processor(dialect, None)
            for c in stmt.selected_columns
        ]
        return str(compiled), names, procs

    def _one(self, prepared: tuple[str, list[str] | None, list[Any]], **params: Any) -> Any:
        sql, names, procs = prepared
        args: Any = tuple(params[n] for n in names) if names is not None else params
        for attempt in (1, 2):
            try:
                cursor = self._connection().cursor()
                cursor.execute(sql, args)
                row = cursor.fetchone()
                cursor.close()
                break
            except Exception:  # a dropped server connection: reconnect once
                self._drop()
                if attempt == 2:
                    raise
        if row is None:
            return None
        return tuple(p(v) if p is not None else v for p, v in zip(procs, row, strict=True))

    def private(self, kind: str, token_hash: str, now: datetime) -> FeedState | None:
        """Like ``peek_private``: None when unknown, revoked, another kind or stale."""
        row = self._one(self._state, token_hash=token_hash)
        if row is None:
            return None
        key, etag, last_modified, stale, valid_until = row
        if not key.startswith(f"{kind}:") or etag is None or stale or valid_until <= now:
            return None
        return FeedState(key, etag, last_modified)

    def feed_bytes(self, feed_key: str) -> FeedBytes | None:
        row = self._one(self._bytes, feed_key=feed_key)
        if row is None:
            return None
        etag, last_modified, zipped = row
        zipped = bytes(zipped)
        return FeedBytes(etag, last_modified, gzip.decompress(zipped), zipped)


def _close_all(connections: list[Any]) -> None:
    for raw in connections:
        with contextlib.suppress(Exception):
            raw.close()
    connections.clear()


def feed_bytes(db: Session | Connection, feed_key: str) -> FeedBytes | None:
    """The feed's bytes (plain and gzip) with their validators; None when not built."""
    row = db.execute(_BYTES_BY_KEY, {"feed_key": feed_key}).first()
    if row is None:
        return None
    zipped = bytes(row.body_gzip)
    return FeedBytes(row.etag, row.last_modified, gzip.decompress(zipped), zipped)


# ---------------------------------------------------------------- building


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
    old = db.connection().execute(_OLD_BY_KEY, {"feed_key": key}).first()
    if kind == "availability":
        head, pieces, ids = _availability(db, int(ident), day, config)
        valid_until = min(day + timedelta(days=1), now + config.availability_ttl)
    else:
        head, pieces, ids = _meetings_feed(db, kind, int(ident), day, config)
        valid_until = day + timedelta(days=1)
    if old is None:
        # A change committed while this first build read would find no row to mark stale:
        # a first build is trusted for a minute only.
        valid_until = min(valid_until, now + timedelta(minutes=1))
    digest = _members_digest(ids)
    if old is None or old.members_digest != digest:
        _record_members(db, key, ids)
    body = assemble(head, pieces)
    state = _store(db, key, body, len(pieces), now, valid_until, old, digest)
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


def _members_digest(ids: Sequence[int]) -> str:
    return hashlib.blake2b(array("q", sorted(ids)).tobytes(), digest_size=16).hexdigest()


def _store(
    db: Session,
    key: str,
    body: bytes,
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
    values = {
        "feed_key": key,
        "body_gzip": gzip.compress(body, GZIP_LEVEL, mtime=0),
        "body_size": len(body),
        "etag": etag,
        "last_modified": last_modified,
        "built_at": now,
        "valid_until": valid_until,
        "stale": False,
        "event_count": count,
        "members_digest": digest,
        "generation": old.generation if old is not None else 0,
    }
    _upsert_body(db, values)
    return FeedState(key, etag, last_modified)


def _upsert_body(db: Session, values: dict[str, Any]) -> None:
    """Store a built feed. If an invalidation bumped the generation after this build read its
    data, the new body is stored but stays stale, so the next request builds again."""
    dialect = db.get_bind().dialect.name
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(FeedBody).values(**values)
    changed: dict[str, Any] = {
        k: stmt.excluded[k] for k in values if k not in ("feed_key", "generation", "stale")
    }
    changed["stale"] = FeedBody.generation != stmt.excluded.generation
    db.execute(stmt.on_conflict_do_update(index_elements=["feed_key"], set_=changed))


def _upsert(db: Session, model: Any, values: dict[str, Any], keys: list[str]) -> None:
    """INSERT .. ON CONFLICT DO UPDATE (two requests may rebuild the same feed at once)."""
    dialect = db.get_bind().dialect.name
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(model).values(**values)
    changed = {k: stmt.excluded[k] for k in values if k not in keys}
    db.execute(stmt.on_conflict_do_update(index_elements=keys, set_=changed))


def _window_params(day: datetime, config: FeedConfig) -> dict[str, datetime]:
    return {
        "start": day - timedelta(days=config.days_back),
        "end": day + relativedelta(months=config.months_ahead),
        "kept_since": day - timedelta(days=config.cancelled_keep_days),
    }


def _window() -> ColumnElement[bool]:
    return and_(
        Meeting.starts_at >= bindparam("start", type_=Meeting.starts_at.type),
        Meeting.starts_at < bindparam("end", type_=Meeting.starts_at.type),
        or_(
            Meeting.status != MeetingStatus.CANCELLED,
            func.coalesce(Meeting.cancelled_at, Meeting.updated_at)
            >= bindparam("kept_since", type_=Meeting.starts_at.type),
        ),
    )


def _attended(condition: ColumnElement[bool]) -> Select[int]:
    """Ids of the meetings with an attendee matching ``condition``, found from the attendee's
    index. Replaced attendees (active = False) leave the feed; a cancelled meeting stays."""
    meeting = aliased(Meeting)
    return (
        select(Attendee.meeting_id)
        .join(meeting, meeting.id == Attendee.meeting_id)
        .where(
            condition,
            or_(Attendee.active.is_(True), meeting.status == MeetingStatus.CANCELLED),
        )
    )


def _membership(kind: str) -> ColumnElement[bool]:
    # A department's or representative's meetings come from its own index entries
    # (attendees, case_departments, meetings.convener_id) as one set of ids, so the database
    # reads those rows instead of testing every meeting of the window.
    ident: BindParameter[int] = bindparam("ident")
    if kind == "department":
        of_case = aliased(Meeting)
        return Meeting.id.in_(
            union(
                _attended(Attendee.department_id == ident),
                select(of_case.id)
                .join(CaseDepartment, CaseDepartment.case_id == of_case.case_id)
                .where(CaseDepartment.department_id == ident),
            )
        )
    if kind == "representative":
        convened = aliased(Meeting)
        return Meeting.id.in_(
            union(
                _attended(Attendee.representative_id == ident),
                select(convened.id).where(convened.convener_id == ident),
            )
        )
    if kind == "forum":
        return Meeting.case_id.in_(select(Case.id).where(Case.forum_id == ident))
    if kind == "case":
        return Meeting.case_id == ident
    raise ValueError(f"unknown feed kind {kind!r}")


@lru_cache(maxsize=8)
def _feed_query(kind: str) -> Executable:
    """The feed's meetings in order with their stored piece digests (built once per kind:
    statement construction costs more than the query on a rebuild)."""
    audience = AUDIENCE_OF[kind]
    return (
        select(Meeting.id, FeedEvent.digest)
        .outerjoin(
            FeedEvent, and_(FeedEvent.meeting_id == Meeting.id, FeedEvent.audience == audience)
        )
        .where(_membership(kind), _window())
        .order_by(Meeting.starts_at, Meeting.id)
    )


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


def _event_row(meeting_id: int, audience: str, data: bytes) -> dict[str, Any]:
    return {
        "meeting_id": meeting_id,
        "audience": audience,
        "ical": data,
        "digest": piece_digest(data),
    }


def _meetings_feed(
    db: Session, kind: str, ident: int, day: datetime, config: FeedConfig
) -> tuple[bytes, list[bytes], list[int]]:
    audience = AUDIENCE_OF[kind]
    conn = db.connection()  # Core rows: no ORM row processing on the big reads
    rows = conn.execute(_feed_query(kind), {"ident": ident, **_window_params(day, config)}).all()
    known: dict[int, bytes] = {}
    to_read: list[int] = []
    missing: list[int] = []
    for mid, digest in rows:
        if digest is None:
            missing.append(mid)
        elif (data := _pieces.get(mid, audience, digest)) is not None:
            known[mid] = data
        else:
            to_read.append(mid)
    for i in range(0, len(to_read), RENDER_CHUNK):
        for mid, digest, data in conn.execute(
            select(FeedEvent.meeting_id, FeedEvent.digest, FeedEvent.ical).where(
                FeedEvent.audience == audience,
                FeedEvent.meeting_id.in_(to_read[i : i + RENDER_CHUNK]),
            )
        ):
            known[mid] = data
            _pieces.put(mid, audience, digest, data)
    if missing:
        known.update(render_meetings(db, missing, audience, config))
    pieces = [known[mid] for mid, _ in rows]
    return calendar_head(_header(db, kind, ident, config)), pieces, [mid for mid, _ in rows]


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
            )
        ).unique()
        for meeting in meetings:
            out[meeting.id] = render_event(meeting, audience, config.base_url)
    for meeting_id, data in out.items():
        _upsert(db, FeedEvent, _event_row(meeting_id, audience, data), ["meeting_id", "audience"])
        _pieces.put(meeting_id, audience, piece_digest(data), data)
    return out


def _record_members(db: Session, key: str, ids: Iterable[int]) -> None:
    now_in = set(ids)
    before = set(db.scalars(select(FeedMember.meeting_id).where(FeedMember.feed_key == key)))
    gone = before - now_in
    if gone:
        db.execute(
            delete(FeedMember)
            .where(FeedMember.feed_key == key, FeedMember.meeting_id.in_(gone))
            .execution_options(synchronize_session=False)
        )
    new = now_in - before
    if new:
        dialect = db.get_bind().dialect.name
        dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.execute(
            dialect_insert(FeedMember).on_conflict_do_nothing(),
            [{"feed_key": key, "meeting_id": m} for m in sorted(new)],
        )


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


# ---------------------------------------------------------------- invalidation


def feed_keys_for_meetings(db: Session, meeting_ids: Sequence[int]) -> set[str]:
    """Every feed that shows, or at its last build showed, one of these meetings."""
    if not meeting_ids:
        return set()
    keys: set[str] = set(
        db.scalars(select(FeedMember.feed_key).where(FeedMember.meeting_id.in_(meeting_ids)))
    )
    for row in db.execute(
        select(Meeting.id, Meeting.case_id, Meeting.convener_id, Case.forum_id)
        .join(Case, Case.id == Meeting.case_id)
        .where(Meeting.id.in_(meeting_ids))
    ):
        keys.update({f"case:{row.case_id}", f"forum:{row.forum_id}"})
        keys.add(f"availability:{row.forum_id}")
        if row.convener_id is not None:
            keys.add(f"representative:{row.convener_id}")
    for dept_id, rep_id in db.execute(
        select(Attendee.department_id, Attendee.representative_id).where(
            Attendee.meeting_id.in_(meeting_ids)
        )
    ):
        keys.update({f"department:{dept_id}", f"representative:{rep_id}"})
    keys.update(
        f"department:{d}"
        for d in db.scalars(
            select(CaseDepartment.department_id)
            .join(Meeting, Meeting.case_id == CaseDepartment.case_id)
            .where(Meeting.id.in_(meeting_ids))
        )
    )
    return keys


def _invalidate(
    db: Session, meeting_ids: Sequence[int], extra_keys: Iterable[str] = ()
) -> set[str]:
    """Drop the meetings' pieces and mark stale every feed that shows them; returns those."""
    keys = feed_keys_for_meetings(db, meeting_ids) | set(extra_keys)
    if meeting_ids:
        db.execute(
            delete(FeedEvent)
            .where(FeedEvent.meeting_id.in_(meeting_ids))
            .execution_options(synchronize_session=False)
        )
    if keys:
        db.execute(
            update(FeedBody)
            .where(FeedBody.feed_key.in_(sorted(keys)))
            .values(stale=True, generation=FeedBody.generation + 1)
            .execution_options(synchronize_session=False)
        )
    return keys


def _render_now(db: Session, meetings: Sequence[Meeting]) -> None:
    """Render the changed meetings for every feed audience in the changing transaction, so the
    first feed request after the commit only assembles stored pieces.

    The feed settings come with the session's policies (booking.services.policies).
    """
    config = policies_of(db).feeds
    for meeting in meetings:
        try:
            rendered = {a: render_event(meeting, a, config.base_url) for a in AUDIENCE_OF.values()}
        except Exception:  # a rendering bug must never cost a booking: the feed renders later
            log.exception(
                "rendering meeting %s for the feeds failed; left to the next build", meeting.id
            )
            continue
        for audience, data in rendered.items():
            _upsert(
                db, FeedEvent, _event_row(meeting.id, audience, data), ["meeting_id", "audience"]
            )


def invalidate_meeting(db: Session, meeting: Meeting) -> None:
    """Re-render this meeting and mark stale the feeds that show (or showed) it."""
    db.flush()
    _invalidate(db, [meeting.id])
    _render_now(db, [meeting])


def invalidate_case(db: Session, case: Case) -> set[str]:
    """Re-render the case's meetings and mark stale the feeds that show any of them; returns
    the keys of those feeds."""
    db.flush()
    ids = list(db.scalars(select(Meeting.id).where(Meeting.case_id == case.id)))
    keys = _invalidate(db, ids, [f"case:{case.id}"])
    _render_now(db, [m for m in case.meetings if m.id in set(ids)])
    return keys


def invalidate_department(db: Session, department: Department) -> None:
    """A department's name is in its own feed's name and in the text of every meeting it
    attends or its cases name. The pieces are dropped and rendered by the next build of each
    feed (a rename is rare; rendering years of meetings inside the admin's request is not)."""
    db.flush()
    attending = select(Attendee.meeting_id).where(Attendee.department_id == department.id)
    by_case = (
        select(Meeting.id)
        .join(CaseDepartment, CaseDepartment.case_id == Meeting.case_id)
        .where(CaseDepartment.department_id == department.id)
    )
    ids = sorted(set(db.scalars(attending)) | set(db.scalars(by_case)))
    _invalidate(db, ids, [f"department:{department.id}"])


def drop_bodies(db: Session, keys: Iterable[str]) -> None:
    """Delete the stored bodies of these feeds (each is rebuilt at its next request): after
    personal data was removed, no stored feed may keep it, even one nobody polls again."""
    db.execute(
        delete(FeedBody)
        .where(FeedBody.feed_key.in_(sorted(keys)))
        .execution_options(synchronize_session=False)
    )


def invalidate_representative(db: Session, representative: Representative) -> None:
    """Drop the feeds that show this representative: their own feed (its name) and the
    meetings they convene (the convener's name is in every audience's text)."""
    db.flush()
    ids = list(db.scalars(select(Meeting.id).where(Meeting.convener_id == representative.id)))
    _invalidate(db, ids, [f"representative:{representative.id}"])
