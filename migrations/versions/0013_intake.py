"""the door in: contact requests from the public form or passed on by staff, routing rules

Revision ID: 0013_intake
Revises: 0012_sso
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_intake"
down_revision: str | None = "0012_sso"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "contact_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "forum_id", sa.Integer(), sa.ForeignKey("forums.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "status",
            _enum("request_status", "unconfirmed", "new", "accepted", "declined"),
            nullable=False,
        ),
        sa.Column("source", _enum("request_source", "public", "staff"), nullable=False),
        sa.Column(
            "category",
            _enum("request_category", "new_establishment", "major_change", "event"),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("place", sa.String(300), nullable=False),
        sa.Column("start_hope", sa.String(200), nullable=False),
        sa.Column("org_name", sa.String(300), nullable=False),
        sa.Column("org_number", sa.String(20), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        sa.Column("contact_email", sa.String(320), nullable=False),
        sa.Column("contact_phone", sa.String(64), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("preferred_dates", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("consent_at", UTC_TIME, nullable=True),
        sa.Column(
            "passed_on_by_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("consent_note", sa.String(300), nullable=False),
        sa.Column("confirm_token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("follow_token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("confirmed_at", UTC_TIME, nullable=True),
        sa.Column("decided_at", UTC_TIME, nullable=True),
        sa.Column("decided_by", sa.String(320), nullable=False),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="SET NULL"), nullable=True
        ),
    )
    op.create_index("ix_contact_requests_forum_id", "contact_requests", ["forum_id"])
    op.create_index("ix_contact_requests_status", "contact_requests", ["status"])
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("match", sa.String(64), nullable=False),
        sa.Column(
            "department_id",
            sa.Integer(),
            sa.ForeignKey("departments.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.UniqueConstraint("match", "department_id", name="uq_routing_rule"),
    )
    op.create_index("ix_routing_rules_department_id", "routing_rules", ["department_id"])


def downgrade() -> None:
    op.drop_table("routing_rules")
    op.drop_table("contact_requests")
