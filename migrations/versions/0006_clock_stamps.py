"""timestamps from the injected clock: drop feed_events.rendered_at; re-render feed pieces

Nothing read it, and it was the one stamped column written by a Core upsert (outside the ORM
flush that stamps timestamps from the service's clock), so it took the wall clock.

Revision ID: 0006_clock_stamps
Revises: 0005_followup
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_clock_stamps"
down_revision: str | None = "0005_followup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feed_events") as batch:
        batch.drop_column("rendered_at")
    # The iCalendar writer now strips control characters: pieces rendered before may hold one
    # (and make a whole feed unreadable to strict parsers). Rendering is repeatable, so drop
    # them all and let every feed build again on its next request.
    op.execute("DELETE FROM feed_events")
    op.execute(sa.text("UPDATE feed_bodies SET stale = :stale").bindparams(stale=True))


def downgrade() -> None:
    with op.batch_alter_table("feed_events") as batch:
        batch.add_column(
            sa.Column(
                "rendered_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default="1970-01-01 00:00:00",
            )
        )
