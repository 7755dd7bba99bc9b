"""feed changes: which meetings each invalidation of a feed touched

``feed_changes`` records, per feed and generation (``feed_bodies.generation`` is raised under
the row's lock, so a feed's generations commit in order), the meetings whose change raised it.
A process that remembers a feed's member list brings it up to date by re-reading only those
meetings instead of the whole membership (issue 16: a 10,000-event feed after one change).

``feed_bodies.lineage`` is random per row, set when the row is created: a row deleted and
built again starts its generations anew and must not be mistaken for the old one. Existing
rows get a random value here.

Revision ID: 0017_feed_changes
Revises: 0016_agenda_deliveries
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_feed_changes"
down_revision: str | None = "0016_agenda_deliveries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("feed_key", sa.String(64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_feed_changes_key_generation", "feed_changes", ["feed_key", "generation"])
    op.add_column("feed_bodies", sa.Column("lineage", sa.String(16), nullable=True))
    random_hex = (
        "substr(md5(random()::text || feed_key), 1, 16)"
        if op.get_bind().dialect.name == "postgresql"
        else "lower(hex(randomblob(8)))"
    )
    op.execute(f"UPDATE feed_bodies SET lineage = {random_hex}")


def downgrade() -> None:
    with op.batch_alter_table("feed_bodies") as batch:
        batch.drop_column("lineage")
    op.drop_index("ix_feed_changes_key_generation", table_name="feed_changes")
    op.drop_table("feed_changes")
