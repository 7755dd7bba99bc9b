"""Per forum and category, the questions the departments will ask and what to bring.

The administrator writes them once per business category (booking.web.views.admin.guides);
the business meets them in the acknowledgement mail, on the page where it follows its request
and on its case page, in its own language (an empty English text falls back to the Swedish).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking.domain.vocabulary import BUSINESS_CATEGORIES, CaseCategory
from booking.models import Case, CategoryGuide, ContactRequest, Forum
from booking.services import audit
from booking.services.errors import NotFound
from booking.services.inputs import Input, Text, parse

MAX_CHARS = 2000
GuideText = Annotated[Text, Field(max_length=MAX_CHARS)]
FIELDS = ("ask", "bring", "ask_en", "bring_en")


class GuideInput(Input):
    ask: GuideText = ""
    bring: GuideText = ""
    ask_en: GuideText = ""
    bring_en: GuideText = ""


@dataclass(frozen=True)
class Guide:
    """A guide as the business reads it: one question or thing to bring per line."""

    ask: list[str]
    bring: list[str]

    def __bool__(self) -> bool:
        return bool(self.ask or self.bring)


def guide_for(db: Session, forum_id: int, category: CaseCategory) -> CategoryGuide | None:
    """The forum's guide for the category, or None when the administrator wrote none."""
    return db.scalar(
        select(CategoryGuide).where(
            CategoryGuide.forum_id == forum_id, CategoryGuide.category == category
        )
    )


def guides_of(db: Session, forum_id: int) -> dict[CaseCategory, CategoryGuide]:
    """The forum's guides by category (the admin page shows every business category)."""
    rows = db.scalars(select(CategoryGuide).where(CategoryGuide.forum_id == forum_id))
    return {row.category: row for row in rows}


def _lines(text: str) -> list[str]:
    return [line.strip(" -•*\t") for line in text.splitlines() if line.strip(" -•*\t")]


def text_of(guide: CategoryGuide | None, language: str) -> Guide:
    """The guide in ``language`` ("en" or Swedish); each empty English text is the Swedish."""
    if guide is None:
        return Guide([], [])
    english = language == "en"
    ask = guide.ask_en if english and guide.ask_en.strip() else guide.ask
    bring = guide.bring_en if english and guide.bring_en.strip() else guide.bring
    return Guide(_lines(ask), _lines(bring))


def shown_guide(db: Session, forum_id: int, category: CaseCategory, language: str) -> Guide:
    """What the business is shown for its forum and category, in its language."""
    return text_of(guide_for(db, forum_id, category), language)


def case_language(db: Session, case_id: int) -> str:
    """The language the business chose on its request ("sv" for a case registered by staff)."""
    language = db.scalar(
        select(ContactRequest.language).where(ContactRequest.case_id == case_id).limit(1)
    )
    return language or "sv"


def guide_for_case(db: Session, case: Case) -> Guide:
    """The guide of the case's forum and category, in the language of its business."""
    return shown_guide(db, case.forum_id, case.category, case_language(db, case.id))


def save_guide(
    db: Session,
    forum_id: int,
    category: CaseCategory | str,
    raw: GuideInput | dict[str, object],
    actor: audit.Actor,
    now: datetime,
) -> CategoryGuide:
    """An administrator writes (or rewrites) the forum's guide for one business category.
    Audited with the texts before and after. Commits."""
    if db.get(Forum, forum_id) is None:
        raise NotFound(f"No forum with id {forum_id}.", {"forum_id": forum_id})
    if category not in {c.value for c in BUSINESS_CATEGORIES}:
        raise NotFound(f"No business category {category!r}.", {"category": str(category)})
    data = parse(GuideInput, raw)
    kind = CaseCategory(category)
    guide = guide_for(db, forum_id, kind)
    before = None if guide is None else _snapshot(guide)
    if guide is None:
        guide = CategoryGuide(forum_id=forum_id, category=kind)
        db.add(guide)
    for name in FIELDS:
        setattr(guide, name, getattr(data, name))
    db.flush()
    after = _snapshot(guide)
    if before != after:
        audit.record(
            db, actor, "category_guide", guide.id, "create" if before is None else "update",
            before=before, after={"forum_id": forum_id, "category": kind.value, **after},
            at=now,
        )  # fmt: skip
    db.commit()
    return guide


def _snapshot(guide: CategoryGuide) -> dict[str, str]:
    return {name: getattr(guide, name) for name in FIELDS}
