"""Term statistics as JSON: ``GET /api/v1/statistics?term=2027-spring`` (viewer role and up)."""

from __future__ import annotations

from flask import request
from pydantic import BaseModel, ConfigDict, Field

from booking.api.errors import ApiError
from booking.api.operations import operation
from booking.domain.terms import TermError, parse_term, term_of
from booking.models import Forum
from booking.services.followup import statistics
from booking.services.followup.common import local_date
from booking.web_support import get_db, now, settings

RATE = "Per cent, one decimal; null when there is nothing to divide by."


class _Figures(BaseModel):
    """A figure the service adds must be described here too: an unknown key is an error (the
    API tests fail), never a figure silently left out of the answer."""

    model_config = ConfigDict(extra="forbid")


class StatisticsQuery(BaseModel):
    """Read by the view (400 bad_parameter with what to fix); here for the document."""

    term: str | None = Field(
        default=None,
        max_length=40,
        description="2027-spring (January–June) or 2027-autumn (July–December); default the "
        "current term.",
        examples=["2027-spring"],
    )
    forum: str | None = Field(default=None, max_length=64, description="Only this forum (slug).")


class CaseCountsOut(_Figures):
    total: int = Field(description="The business's cases received in the term (not internal).")
    cancelled: int = Field(description="Of those, cancelled.")
    by_category: dict[str, int] = Field(
        description="Per business category: new_establishment, major_change, event."
    )
    internal: int = Field(
        description="Forum internt: the forum's own cases received in the term (no customer), "
        "counted apart from the total, the lead time and NKI."
    )


class LeadTimeFigures(_Figures):
    n: int
    median: float | None = Field(description="Median days from contact to meeting.")


class LeadTimeOut(LeadTimeFigures):
    by_source: dict[str, LeadTimeFigures] = Field(
        description="The same per source of the contact: public (the business's own request "
        "form), staff (passed on by someone in the municipality), coordinator (registered "
        "directly); counted from the first contact."
    )


class MeetingCountsOut(_Figures):
    total: int
    held: int
    cancelled: int
    cancellation_rate: float | None = Field(description=RATE)


class AttendanceOut(_Figures):
    expected: int
    attended: int
    rate: float | None = Field(description=RATE)


class DepartmentFiguresOut(_Figures):
    id: int
    slug: str
    name: str
    invited: int
    replied: int
    reply_rate: float | None = Field(description=RATE)
    median_reply_hours: float | None
    attendance_expected: int
    attended: int
    attendance_rate: float | None = Field(description=RATE)


class IndexOut(_Figures):
    """An NKI over n respondents; score and grade are null when suppressed (too few answers)."""

    n: int
    score: int | None
    grade: str | None
    suppressed: bool
    uncertain: bool


class DepartmentIndexOut(IndexOut):
    id: int
    slug: str
    name: str


class NkiOut(_Figures):
    label: str
    respondents: int
    surveys_sent: int = Field(description="Surveys sent about meetings in the term.")
    response_rate: float | None = Field(
        description="Answers / surveys sent, per cent, one decimal; null when none was sent."
    )
    min_answers_shown: int
    overall: IndexOut
    by_category: dict[str, IndexOut]
    by_department: list[DepartmentIndexOut]
    factors: dict[str, IndexOut]


class StatisticsOut(_Figures):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    term: str
    label: str
    from_: str = Field(alias="from", description="First day of the term, YYYY-MM-DD.")
    to_exclusive: str = Field(description="The day after the term, YYYY-MM-DD.")
    cases: CaseCountsOut
    lead_time_days: LeadTimeOut
    meetings: MeetingCountsOut
    attendance: AttendanceOut
    departments: list[DepartmentFiguresOut]
    nki: NkiOut


@operation(
    "GET",
    "/statistics",
    summary="Term statistics: cases, lead time, replies, attendance, NKI",
    response=StatisticsOut,
    query=StatisticsQuery,
    parse=False,
    tag="statistics",
)
def get_statistics() -> StatisticsOut:
    """The statistics page's figures. Without ``term`` the current term; ``forum`` narrows."""
    raw = request.args.get("term", "")
    try:
        term = parse_term(raw) if raw else term_of(local_date(now(), settings().forum_timezone))
    except TermError as exc:
        raise ApiError(400, "bad_parameter", str(exc), {"term": raw[:40]}) from None
    forum_id = None
    slug = request.args.get("forum", "")
    if slug:
        forum = get_db().query(Forum).filter(Forum.slug == slug).one_or_none()
        if forum is None:
            raise ApiError(
                404, "not_found", f"No forum with slug {slug[:64]!r}.", {"forum": slug[:64]}
            )
        forum_id = forum.id
    figures = statistics.compute(
        get_db(), term, forum_id=forum_id, timezone=settings().forum_timezone
    )
    return StatisticsOut.model_validate(figures)
