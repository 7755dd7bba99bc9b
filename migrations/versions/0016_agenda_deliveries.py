"""agenda deliveries: who got a forum afternoon's agenda mail

One row per afternoon and address (primary key), written with the mail in one transaction: each
attending representative gets the agenda once, and one booked in after it went out gets it at
the next worker round. For an afternoon whose agenda already went out (sessions.agenda_sent_at)
its attending addresses of today are recorded as having got it, so nobody gets it twice.

Revision ID: 0016_agenda_deliveries
Revises: 0015_feed_change_notify
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_agenda_deliveries"
down_revision: str | None = "0015_feed_change_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agenda_deliveries",
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("address", sa.String(320), primary_key=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        """
        INSERT INTO agenda_deliveries (session_id, address, sent_at)
        SELECT DISTINCT s.id, lower(trim(r.email)), s.agenda_sent_at
        FROM sessions s
        JOIN slots sl ON sl.session_id = s.id
        JOIN meetings m ON m.slot_id = sl.id
        JOIN attendees a ON a.meeting_id = m.id
        JOIN representatives r ON r.id = a.representative_id
        WHERE s.agenda_sent_at IS NOT NULL
          AND a.active = TRUE
          AND a.partstat <> 'DECLINED'
          AND m.status IN ('booked', 'confirmed')
          AND r.email LIKE '%@%'
        """
    )


def downgrade() -> None:
    op.drop_table("agenda_deliveries")
