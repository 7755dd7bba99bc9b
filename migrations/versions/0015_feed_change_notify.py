"""feed change notifications: PostgreSQL tells every listening worker which feed changed

Triggers on the two tables whose rows decide a private feed poll's answer (``feed_tokens``:
token hash → feed key, revoked; ``feed_bodies``: ETag, Last-Modified, stale, valid until) send
``pg_notify('dorren_feeds', <feed key>)`` for every inserted, updated or deleted row, and
``'*'`` (everything) on TRUNCATE. PostgreSQL delivers a notification only when its transaction
commits, in commit order, and once per distinct key and transaction. Triggers catch every writer,
also SQL that bypasses the ORM. The workers keep the rows they read per token and drop a feed's
rows when its key arrives (booking/adapters/feed_versions.py), so a poll of an unchanged feed
needs no database round trip.

SQLite: nothing (a poll there reads a local file; there is no LISTEN).

Revision ID: 0015_feed_change_notify
Revises: 0014_door_prepared
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_feed_change_notify"
down_revision: str | None = "0014_door_prepared"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: booking/adapters/feed_versions.py CHANNEL must stay the same.
CHANNEL = "dorren_feeds"
TABLES = ("feed_tokens", "feed_bodies")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION dorren_feed_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                PERFORM pg_notify('{CHANNEL}', OLD.feed_key);
            END IF;
            IF TG_OP <> 'DELETE' THEN
                PERFORM pg_notify('{CHANNEL}', NEW.feed_key);
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION dorren_feeds_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', '*');
            RETURN NULL;
        END $$
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION dorren_feed_changed()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_notify_truncate AFTER TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION dorren_feeds_truncated()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_notify_truncate ON {table}")
        op.execute(f"DROP TRIGGER {table}_notify ON {table}")
    op.execute("DROP FUNCTION dorren_feeds_truncated()")
    op.execute("DROP FUNCTION dorren_feed_changed()")
