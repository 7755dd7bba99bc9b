"""single sign-on: the identity provider's subject per user, the admin-editable role rules

- users.sso_subject: the OpenID Connect ``sub`` of a user who signed in with the
  municipality's account (unique; later logins find the user by it).
- sso_role_rules: "group X → role", "e-mail domain Y → role" (the page /admin/sso).

Revision ID: 0012_sso
Revises: 0011_forum_setup
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_sso"
down_revision: str | None = "0011_forum_setup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN and a separate unique index: no batch copy of the users table (on
    # SQLite a copy would drop the old table, and its API tokens with it).
    op.add_column("users", sa.Column("sso_subject", sa.String(length=255), nullable=True))
    op.create_index("ix_users_sso_subject", "users", ["sso_subject"], unique=True)
    op.create_table(
        "sso_role_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "group",
                "email_domain",
                name="sso_match",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "coordinator",
                "representative",
                "viewer",
                name="sso_rule_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "value", name="uq_sso_role_rules_kind_value"),
    )


def downgrade() -> None:
    op.drop_table("sso_role_rules")
    op.drop_index("ix_users_sso_subject", table_name="users")
    op.execute("ALTER TABLE users DROP COLUMN sso_subject")
