"""consent with a scope: municipal departments only, or also external parties; who and when

- cases.consent_scope ('none' / 'municipal' / 'external') replaces cases.consent_to_share; a
  recorded yes becomes 'municipal' (what it meant: the participating municipal departments).
- cases.consent_recorded_at, cases.consent_recorded_by: when and by whom the consent was
  recorded (NULL / '' for consents recorded before this revision).

Revision ID: 0007_consent_scope
Revises: 0006_clock_stamps
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_consent_scope"
down_revision: str | None = "0006_clock_stamps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPES = ("none", "municipal", "external")


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column(
                "consent_scope",
                sa.Enum(
                    *SCOPES,
                    name="consent_scope",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=False,
                server_default="none",
            )
        )
        batch.add_column(sa.Column("consent_recorded_at", sa.DateTime(timezone=True)))
        batch.add_column(
            sa.Column(
                "consent_recorded_by", sa.String(length=320), nullable=False, server_default=""
            )
        )
    op.execute(
        sa.text("UPDATE cases SET consent_scope = 'municipal' WHERE consent_to_share = :yes").bindparams(
            yes=True
        )
    )
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("consent_to_share")


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("consent_to_share", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        sa.text("UPDATE cases SET consent_to_share = :yes WHERE consent_scope <> 'none'").bindparams(
            yes=True
        )
    )
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint("consent_scope", type_="check")
        batch.drop_column("consent_recorded_by")
        batch.drop_column("consent_recorded_at")
        batch.drop_column("consent_scope")
