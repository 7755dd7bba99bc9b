"""Tables of the ICS feeds (issue 4): tokens, stored event renderings, assembled bodies.

A feed is named by a *feed key*: ``"<kind>:<id>"`` with kind department, representative,
forum, case or availability (the id is the forum's for the public availability feed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from booking.db import STAMP_ON_INSERT, Base
from booking.models.base import UTCDateTime


class FeedToken(Base):
    """The secret of one private feed. Only its sha256 is stored; one row per feed."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_key: Mapped[str] = mapped_column(String(64), unique=True)
    # sha256 hex of the token; the hot path looks the feed up by this (unique index).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Random per-row nonce; with the app's secret key it re-derives the token for display
    # to its owner (a database dump alone yields no token).
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), info=STAMP_ON_INSERT)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(320), default="")


class FeedEvent(Base):
    """One meeting's VEVENT rendered for one audience, serialized (UTF-8, CRLF, folded)."""

    __tablename__ = "feed_events"

    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    audience: Mapped[str] = mapped_column(String(16), primary_key=True)
    ical: Mapped[bytes] = mapped_column(LargeBinary)
    # blake2b-64 of ``ical``: a rebuild reads only the pieces its process does not hold yet.
    digest: Mapped[str] = mapped_column(String(16))


class FeedBody(Base):
    """A feed assembled from stored pieces, with its validators, served as stored bytes.

    Only the gzip of the body is stored (a seventh of the size to write on every change);
    gzip-accepting clients get it as is, each worker keeps the plain bytes of the current ETag
    in memory for the others.
    """

    __tablename__ = "feed_bodies"
    __table_args__ = (Index("ix_feed_bodies_stale", "stale"),)

    feed_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    body_gzip: Mapped[bytes] = mapped_column(LargeBinary)
    # Strong ETag (quoted), a hash of ``body``.
    etag: Mapped[str] = mapped_column(String(80))
    # Moves forward only, and strictly forward whenever the body changes (HTTP has seconds).
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime())
    built_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The window and the cancelled-meeting expiry move with the date: rebuild after this.
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set in the same transaction as the change that touched the feed.
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    # Raised by every invalidation: a build only clears ``stale`` if it is unchanged since the
    # build read its data (a booking committed during a rebuild is never lost).
    generation: Mapped[int] = mapped_column(Integer, default=0)
    # Random, set when the row is created and never changed: a row deleted and built again
    # (personal data removed) starts its generations anew, and a process's remembered member
    # list of the old row must not be taken for the new one's (booking/services/feeds/changes).
    lineage: Mapped[str | None] = mapped_column(String(16))
    body_size: Mapped[int] = mapped_column(Integer, default=0)
    # Digest of the meeting ids at the last build: feed_members is rewritten only on a change.
    members_digest: Mapped[str] = mapped_column(String(32), default="")
    event_count: Mapped[int] = mapped_column(Integer, default=0)


class FeedMember(Base):
    """Which meetings a feed showed at its last build: a change to a meeting then invalidates
    the feeds it left (a department removed from the case) as well as those it is in."""

    __tablename__ = "feed_members"

    feed_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class FeedChange(Base):
    """Which meetings one invalidation of a feed touched, under the generation it raised.

    A process that remembers the feed's member list of generation g brings it up to date by
    re-reading the membership of the meetings recorded for the generations after g only
    (booking/services/feeds/changes). ``meeting_id`` NULL means "anything may have changed":
    the next build reads the whole membership. No foreign key: a deleted meeting must stay
    recorded, so that it leaves the remembered lists.
    """

    __tablename__ = "feed_changes"
    __table_args__ = (Index("ix_feed_changes_key_generation", "feed_key", "generation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feed_key: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(Integer)
    meeting_id: Mapped[int | None] = mapped_column(Integer)
