"""the door in, part two: receivers, questions to the business, forwarding, preparation

- users.role and sso_role_rules.role admit 'receiver': any municipal employee who passes a
  contact on and sees only the contacts they passed on.
- cases.category and contact_requests.category admit 'internal' (Forum internt: no
  organisation number, no customer).
- contact_requests.status admits 'asked' (a question to the business awaits its answer) and
  'forwarded' (one department was enough); contact_requests.forwarded_to_id names it.
- request_messages: the coordinator's questions and the business's answers.
- category_guides: per forum and category, the questions to ask and what to bring.
- case_documents: drawings, menus, site plans the business uploads before the meeting,
  stored with the case (one backup holds everything) and removed with it by retention.
- case_departments.covers: what each department will cover in this case's meeting.
- sessions.kind ('forum' or 'evaluation', the termly evaluation meeting) and
  sessions.agenda_sent_at (the agenda mail goes out once).

Revision ID: 0014_door_prepared
Revises: 0013_intake
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_door_prepared"
down_revision: str | None = "0013_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
ROLES = ("admin", "coordinator", "representative", "viewer")
CATEGORIES = ("new_establishment", "major_change", "event")
REQUEST_STATUSES = ("unconfirmed", "new", "accepted", "declined")

# (table, column, constraint name, values before, values added)
WIDENED = (
    ("users", "role", "user_role", ROLES, ("receiver",)),
    ("sso_role_rules", "role", "sso_rule_role", ROLES, ("receiver",)),
    ("cases", "category", "case_category", CATEGORIES, ("internal",)),
    ("contact_requests", "category", "request_category", CATEGORIES, ("internal",)),
    ("contact_requests", "status", "request_status", REQUEST_STATUSES, ("asked", "forwarded")),
)


def _check(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _replace_check(table: str, name: str, column: str, values: Sequence[str]) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(name, type_="check")
        batch.create_check_constraint(name, _check(column, values))


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    for table, column, name, before, added in WIDENED:
        _replace_check(table, name, column, (*before, *added))
    with op.batch_alter_table("contact_requests") as batch:
        batch.add_column(
            sa.Column(
                "forwarded_to_id",
                sa.Integer(),
                sa.ForeignKey("departments.id", name="fk_request_forwarded_to", ondelete="SET NULL"),
                nullable=True,
            )
        )
    op.create_table(
        "request_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "request_id",
            sa.Integer(),
            sa.ForeignKey("contact_requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("sender", _enum("message_sender", "coordinator", "business"), nullable=False),
        sa.Column("author", sa.String(320), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_request_messages_request_id", "request_messages", ["request_id"])
    op.create_table(
        "category_guides",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "forum_id", sa.Integer(), sa.ForeignKey("forums.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("category", _enum("guide_category", *CATEGORIES, "internal"), nullable=False),
        sa.Column("ask", sa.Text(), nullable=False),
        sa.Column("bring", sa.Text(), nullable=False),
        sa.Column("ask_en", sa.Text(), nullable=False),
        sa.Column("bring_en", sa.Text(), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.UniqueConstraint("forum_id", "category", name="uq_category_guide"),
    )
    op.create_table(
        "case_documents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(320), nullable=False),
        sa.Column("uploaded_at", UTC_TIME, nullable=False),
    )
    op.create_index("ix_case_documents_case_id", "case_documents", ["case_id"])
    op.add_column(
        "case_departments",
        sa.Column("covers", sa.String(500), nullable=False, server_default=""),
    )
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(
            sa.Column(
                "kind", _enum("session_kind", "forum", "evaluation"), nullable=False,
                server_default="forum",
            )
        )  # fmt: skip
        batch.add_column(sa.Column("agenda_sent_at", UTC_TIME, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_constraint("session_kind", type_="check")
        batch.drop_column("agenda_sent_at")
        batch.drop_column("kind")
    with op.batch_alter_table("case_departments") as batch:
        batch.drop_column("covers")
    op.drop_table("case_documents")
    op.drop_table("category_guides")
    op.drop_table("request_messages")
    with op.batch_alter_table("contact_requests") as batch:
        batch.drop_constraint("fk_request_forwarded_to", type_="foreignkey")
        batch.drop_column("forwarded_to_id")
    for table, column, name, before, _added in WIDENED:
        _replace_check(table, name, column, before)
