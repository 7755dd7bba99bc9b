"""forum setup from an empty database: yearly pauses, the forum's contact text

- pause_periods.yearly: the pause repeats every year on the same dates (jul 23 Dec–6 Jan,
  sommar, sportlov...), so a municipality sets its breaks once.
- forums.contact_text: what the forum's pages say about whom to contact.

Revision ID: 0011_forum_setup
Revises: 0010_delivery_state
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_forum_setup"
down_revision: str | None = "0010_delivery_state"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "pause_periods",
        sa.Column("yearly", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "forums", sa.Column("contact_text", sa.Text(), nullable=False, server_default="")
    )


def downgrade() -> None:
    with op.batch_alter_table("forums") as batch:
        batch.drop_column("contact_text")
    with op.batch_alter_table("pause_periods") as batch:
        batch.drop_column("yearly")
