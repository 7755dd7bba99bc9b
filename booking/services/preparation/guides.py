"""Per forum and category, the questions the departments will ask and what to bring."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import CaseCategory
from booking.models import CategoryGuide


def guide_for(db: Session, forum_id: int, category: CaseCategory) -> CategoryGuide | None:
    """The forum's guide for the category, or None when the administrator wrote none."""
    return db.scalar(
        select(CategoryGuide).where(
            CategoryGuide.forum_id == forum_id, CategoryGuide.category == category
        )
    )
