"""ICS feeds: feed tokens, stored event renderings, assembled feed bodies

Revision ID: 0003_feeds
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_feeds"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_key", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feed_key"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "feed_events",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("ical", sa.LargeBinary(), nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meeting_id", "audience"),
    )
    op.create_table(
        "feed_bodies",
        sa.Column("feed_key", sa.String(length=64), nullable=False),
        sa.Column("body_gzip", sa.LargeBinary(), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("body_size", sa.Integer(), nullable=False),
        sa.Column("members_digest", sa.String(length=32), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("feed_key"),
    )
    op.create_index("ix_feed_bodies_stale", "feed_bodies", ["stale"], unique=False)
    op.create_table(
        "feed_members",
        sa.Column("feed_key", sa.String(length=64), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("feed_key", "meeting_id"),
    )
    op.create_index("ix_feed_members_meeting_id", "feed_members", ["meeting_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feed_members_meeting_id", table_name="feed_members")
    op.drop_table("feed_members")
    op.drop_index("ix_feed_bodies_stale", table_name="feed_bodies")
    op.drop_table("feed_bodies")
    op.drop_table("feed_events")
    op.drop_table("feed_tokens")
