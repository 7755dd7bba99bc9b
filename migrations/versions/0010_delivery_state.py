"""delivery state: what each recipient of a meeting's invitations last received

- attendees.sent_method, sent_sequence, sent_transport: the last iTIP message an attendee
  received (REQUEST/CANCEL, its SEQUENCE, caldav/imip). Delivery compares it with the meeting's
  current state, so a meeting moved and then cancelled before the worker ran still sends a
  CANCEL to whoever got the first REQUEST, and nothing to whoever got nothing.
- meetings.customer_sent: the same for the customer's confirmation (method, SEQUENCE and the
  time it named, for the "new time, previously ..." mail).

Existing rows are filled from what is known: a delivered attendee holds a REQUEST at the
meeting's SEQUENCE; a cancelled one a CANCEL; a done customer message is what the customer has.

Revision ID: 0010_delivery_state
Revises: 0009_scale_indexes
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_delivery_state"
down_revision: str | None = "0009_scale_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (not a batch copy): on SQLite a batch recreates the table, and dropping
    # the old meetings table would cascade to its attendees.
    op.add_column(
        "attendees",
        sa.Column("sent_method", sa.String(length=8), nullable=False, server_default=""),
    )
    op.add_column("attendees", sa.Column("sent_sequence", sa.Integer(), nullable=True))
    op.add_column(
        "attendees",
        sa.Column("sent_transport", sa.String(length=16), nullable=False, server_default=""),
    )
    op.add_column("meetings", sa.Column("customer_sent", sa.JSON(), nullable=True))
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE attendees SET sent_method = CASE delivery_state "
            "WHEN 'delivered' THEN 'REQUEST' ELSE 'CANCEL' END, "
            "sent_transport = delivery_transport, "
            "sent_sequence = (SELECT m.sequence FROM meetings m WHERE m.id = attendees.meeting_id) "
            "WHERE delivery_state IN ('delivered', 'cancelled') AND delivery_transport <> ''"
        )
    )
    meetings = sa.table(
        "meetings",
        sa.column("id", sa.Integer()),
        sa.column("customer_sent", sa.JSON()),
    )
    rows = bind.execute(
        sa.text(
            "SELECT o.meeting_id, o.payload, m.starts_at, m.ends_at FROM outbox o "
            "JOIN meetings m ON m.id = o.meeting_id "
            "WHERE o.kind = 'invitation.customer' AND o.status = 'done' ORDER BY o.id"
        )
    ).all()
    last: dict[int, dict[str, object]] = {}
    for meeting_id, payload, starts_at, ends_at in rows:
        data = json.loads(payload) if isinstance(payload, str) else dict(payload or {})
        last[meeting_id] = {
            "method": str(data.get("method", "REQUEST")),
            "sequence": int(data.get("sequence", 0)),
            "starts_at": str(starts_at),
            "ends_at": str(ends_at),
        }
    for meeting_id, sent in last.items():
        bind.execute(
            meetings.update().where(meetings.c.id == meeting_id).values(customer_sent=sent)
        )


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+ too): no table copy, nothing cascades.
    for table, column in (
        ("meetings", "customer_sent"),
        ("attendees", "sent_transport"),
        ("attendees", "sent_sequence"),
        ("attendees", "sent_method"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
