"""follow-through: minutes (versioned), follow-up points, NKI surveys and answers

Revision ID: 0005_followup
Revises: 0004_invitations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_followup"
down_revision: str | None = "0004_invitations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "minutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "approved", "superseded", name="minutes_status",
                native_enum=False, create_constraint=True, length=32,
            ),
            nullable=False,
        ),
        sa.Column("present", sa.JSON(), nullable=False),
        sa.Column("customer_present", sa.Text(), nullable=False),
        sa.Column("statements", sa.JSON(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("action_points", sa.JSON(), nullable=False),
        sa.Column("correction_reason", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("approved_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "version", name="uq_minutes_meeting_version"),
    )
    op.create_index("ix_minutes_meeting_id", "minutes", ["meeting_id"])

    op.create_table(
        "followup_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_department_id", sa.Integer(), nullable=True),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("owner_email", sa.String(length=320), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("visible_to_customer", sa.Boolean(), nullable=False),
        sa.Column("reminders_sent", sa.JSON(), nullable=False),
        sa.Column("source_minutes_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.Column("done_by", sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["owner_department_id"], ["departments.id"], ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["source_minutes_id"], ["minutes.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_followup_points_case_id", "followup_points", ["case_id"])
    op.create_index("ix_followup_open_due", "followup_points", ["status", "due_date"])

    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("recipient_key", sa.String(length=320), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("scale", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("answered_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "recipient_key", name="uq_survey_case_contact"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_surveys_case_id", "surveys", ["case_id"])
    op.create_index("ix_surveys_meeting_id", "surveys", ["meeting_id"])

    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("scale", sa.Integer(), nullable=False),
        *[
            sa.Column(name, sa.Integer(), nullable=True)
            for name in (
                "q_overall", "q_expectations", "q_ideal", "information", "tillganglighet",
                "bemotande", "kompetens", "rattssakerhet", "effektivitet",
            )
        ],
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("answered_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_id"),
    )


def downgrade() -> None:
    op.drop_table("survey_answers")
    op.drop_index("ix_surveys_meeting_id", table_name="surveys")
    op.drop_index("ix_surveys_case_id", table_name="surveys")
    op.drop_table("surveys")
    op.drop_index("ix_followup_open_due", table_name="followup_points")
    op.drop_index("ix_followup_points_case_id", table_name="followup_points")
    op.drop_table("followup_points")
    op.drop_index("ix_minutes_meeting_id", table_name="minutes")
    op.drop_table("minutes")
