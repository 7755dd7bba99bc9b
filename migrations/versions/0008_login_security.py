"""login security: session generations, token-named audit events, a shared login rate limit

- users.session_generation: stored in the session cookie and checked on every request; logout
  and a password change raise it, so a copied cookie stops working.
- audit_events.actor_token_id, actor_token_name: the API token a change was made with.
- login_rate_buckets: the per-address login rate limit, counted in the database so it holds
  across gunicorn workers and nodes.

Revision ID: 0008_login_security
Revises: 0007_consent_scope
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_login_security"
down_revision: str | None = "0007_consent_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("actor_token_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("actor_token_name", sa.String(length=200), nullable=True))
    op.create_table(
        "login_rate_buckets",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "bucket"),
    )
    op.create_index(
        "ix_login_rate_buckets_bucket", "login_rate_buckets", ["bucket"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_login_rate_buckets_bucket", table_name="login_rate_buckets")
    op.drop_table("login_rate_buckets")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("actor_token_name")
        batch.drop_column("actor_token_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_generation")
