"""Documents a business uploads for its case before the meeting."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from booking.models import CaseDocument


def for_case(db: Session, case_id: int) -> list[CaseDocument]:
    """The case's documents, oldest first, without their bytes (a listing never needs them)."""
    return list(
        db.scalars(
            select(CaseDocument)
            .where(CaseDocument.case_id == case_id)
            .options(defer(CaseDocument.data))
            .order_by(CaseDocument.uploaded_at, CaseDocument.id)
        )
    )
