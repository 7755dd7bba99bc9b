"""scale indexes: the feed membership and allocation probes find their rows by index

- case_departments (department_id, case_id): a department's cases (department feeds,
  invalidation, allocation); the primary key (case_id, department_id) serves only the reverse.
- attendees (representative_id, meeting_id) and (department_id, meeting_id) replace the
  single-column indexes on representative_id and department_id (their prefixes): a
  representative's or department's meetings from the index alone (feeds, LOAD, BUSY, USAGE).
- meetings (convener_id): a representative's feed includes the meetings they convene; the
  foreign key (ON DELETE SET NULL) is also checked through it.

On PostgreSQL the upgrade ends with ANALYZE, so the planner has statistics from the start.

Revision ID: 0009_scale_indexes
Revises: 0008_login_security
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_scale_indexes"
down_revision: str | None = "0008_login_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_case_departments_department", "case_departments", ["department_id", "case_id"]
    )
    op.create_index(
        "ix_attendees_representative_meeting", "attendees", ["representative_id", "meeting_id"]
    )
    op.create_index("ix_attendees_department_meeting", "attendees", ["department_id", "meeting_id"])
    op.drop_index("ix_attendees_representative_id", table_name="attendees")
    op.drop_index("ix_attendees_department_id", table_name="attendees")
    op.create_index("ix_meetings_convener_id", "meetings", ["convener_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE")


def downgrade() -> None:
    op.drop_index("ix_meetings_convener_id", table_name="meetings")
    op.create_index("ix_attendees_department_id", "attendees", ["department_id"])
    op.create_index("ix_attendees_representative_id", "attendees", ["representative_id"])
    op.drop_index("ix_attendees_department_meeting", table_name="attendees")
    op.drop_index("ix_attendees_representative_meeting", table_name="attendees")
    op.drop_index("ix_case_departments_department", table_name="case_departments")
