"""Forum setup over the API (administrators only, issue 15): forums, series (with a preview
that writes nothing) and pauses. The same services as the pages (booking.services.scheduling).

    POST   /api/v1/forums                          a new forum
    PUT    /api/v1/forums/<slug>                   change a forum
    POST   /api/v1/forums/<slug>/series/preview    the next 18 months of a series, not saved
    POST   /api/v1/forums/<slug>/series            a new series; the afternoons are planned
    PUT    /api/v1/series/<id>                     change a series (booked afternoons stay)
    POST   /api/v1/series/<id>/pauses              a pause, once or every year
    DELETE /api/v1/pauses/<id>                     remove a pause
"""

from __future__ import annotations

from datetime import time
from typing import Any

from pydantic import BaseModel, Field

from booking.api.auth import current_actor
from booking.api.operations import operation
from booking.models import Forum
from booking.services.inputs import Day, Email, Input, Line, Text
from booking.services.scheduling import forums as forum_service
from booking.services.scheduling import pauses as pause_service
from booking.services.scheduling import series as series_service
from booking.services.scheduling.sessions import get_forum
from booking.web_support import get_db, now, settings

SLUG: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": 64}


class ForumIn(Input):
    name: Line = Field(max_length=200)
    slug: Line = Field(max_length=64, description="Lower-case letters, digits, hyphens.")
    municipality: Line = Field(max_length=200)
    location: Line = Field(default="", max_length=300)
    organizer_email: Email = Field(default="", max_length=320)
    timezone: Line = Field(default="Europe/Stockholm", max_length=64)
    contact_text: Text = Field(default="", max_length=2000)


class ForumSetupOut(BaseModel):
    id: int
    slug: str
    name: str
    municipality: str
    location: str
    organizer_email: str
    timezone: str


class SeriesIn(Input):
    weekday: int = Field(ge=0, le=6, description="0 = Monday, 1 = Tuesday, ...")
    anchor_date: Day = Field(description="The first afternoon, on that weekday.")
    every_weeks: int = Field(ge=1, le=8, description="2 for every other week.")
    start_time: time
    end_time: time
    meeting_minutes: int = Field(default=60, ge=5, le=600)
    buffer_minutes: int = Field(default=15, ge=0, le=240)
    name: Line = Field(default="", max_length=200)
    active: bool = True


class PlannedOut(BaseModel):
    date: str
    held: bool
    reason: str | None
    meeting_times: int


class PreviewOut(BaseModel):
    sessions: list[PlannedOut]
    booked_left_alone: list[str] = Field(description="Booked afternoons a save leaves alone.")


class SeriesOut(BaseModel):
    id: int
    forum: str
    name: str
    kept_booked: list[str] = Field(description="Afternoons holding meetings, left as they were.")


class PauseIn(Input):
    reason: Line = Field(min_length=1, max_length=200)
    start_date: Day
    end_date: Day
    yearly: bool = False


class PauseOut(BaseModel):
    id: int
    series_id: int
    reason: str
    start_date: str
    end_date: str
    yearly: bool
    kept_booked: list[str]


def _forum_out(forum: Forum) -> ForumSetupOut:
    return ForumSetupOut(
        id=forum.id,
        slug=forum.slug,
        name=forum.name,
        municipality=forum.municipality,
        location=forum.location,
        organizer_email=forum.organizer_email,
        timezone=forum.timezone,
    )


def _forum_data(body: ForumIn) -> forum_service.ForumData:
    return forum_service.ForumData(**body.model_dump())


def _series_data(body: SeriesIn) -> series_service.SeriesData:
    return series_service.SeriesData(**body.model_dump())


@operation(
    "POST",
    "/forums",
    summary="Create a forum",
    response=ForumSetupOut,
    status=201,
    body=ForumIn,
    access="admin",
    tag="setup",
)
def create_forum(body: ForumIn) -> ForumSetupOut:
    forum = forum_service.save_forum(get_db(), None, _forum_data(body), current_actor(), now())
    return _forum_out(forum)


@operation(
    "PUT",
    "/forums/{slug}",
    summary="Change a forum",
    response=ForumSetupOut,
    body=ForumIn,
    access="admin",
    tag="setup",
    path_schemas={"slug": SLUG},
)
def update_forum(slug: str, body: ForumIn) -> ForumSetupOut:
    forum = get_forum(get_db(), slug)
    saved = forum_service.save_forum(get_db(), forum.id, _forum_data(body), current_actor(), now())
    return _forum_out(saved)


def _preview_out(shown: series_service.Preview) -> PreviewOut:
    return PreviewOut(
        sessions=[
            PlannedOut(
                date=s.local_date.isoformat(),
                held=not s.skipped,
                reason=s.skipped_reason,
                meeting_times=len(s.slots),
            )
            for s in shown.sessions
        ],
        booked_left_alone=[d.isoformat() for d in shown.booked_left_alone],
    )


@operation(
    "POST",
    "/forums/{slug}/series/preview",
    summary="The next 18 months of a series (nothing is saved)",
    response=PreviewOut,
    body=SeriesIn,
    access="admin",
    tag="setup",
    path_schemas={"slug": SLUG},
)
def preview_new_series(slug: str, body: SeriesIn) -> PreviewOut:
    forum = get_forum(get_db(), slug)
    return _preview_out(series_service.preview(get_db(), forum, _series_data(body), now().date()))


@operation(
    "POST",
    "/forums/{slug}/series",
    summary="Create a series; the forum's afternoons are planned at once",
    response=SeriesOut,
    status=201,
    body=SeriesIn,
    access="admin",
    tag="setup",
    path_schemas={"slug": SLUG},
)
def create_series(slug: str, body: SeriesIn) -> SeriesOut:
    forum = get_forum(get_db(), slug)
    return _save(forum, None, body)


def _save(forum: Forum, series_id: int | None, body: SeriesIn) -> SeriesOut:
    series, result = series_service.save_series(
        get_db(),
        forum,
        series_id,
        _series_data(body),
        current_actor(),
        now(),
        settings().session_horizon_months,
    )
    return SeriesOut(
        id=series.id,
        forum=forum.slug,
        name=series.name,
        kept_booked=[d.isoformat() for d in result.kept_booked_dates],
    )


@operation(
    "POST",
    "/series/{series_id}/preview",
    summary="The next 18 months of a changed series, and the booked afternoons it leaves alone",
    response=PreviewOut,
    body=SeriesIn,
    access="admin",
    tag="setup",
)
def preview_series(series_id: int, body: SeriesIn) -> PreviewOut:
    series = series_service.get_series(get_db(), series_id)
    shown = series_service.preview(
        get_db(), series.forum, _series_data(body), now().date(), series_id=series_id
    )
    return _preview_out(shown)


@operation(
    "PUT",
    "/series/{series_id}",
    summary="Change a series: booked afternoons are never moved, and are named",
    response=SeriesOut,
    body=SeriesIn,
    access="admin",
    tag="setup",
)
def update_series(series_id: int, body: SeriesIn) -> SeriesOut:
    series = series_service.get_series(get_db(), series_id)
    return _save(series.forum, series_id, body)


@operation(
    "POST",
    "/series/{series_id}/pauses",
    summary="Add a pause (once or every year); its afternoons are skipped",
    description="409 (pauses_overlap) when it overlaps another pause of the series.",
    response=PauseOut,
    status=201,
    body=PauseIn,
    access="admin",
    tag="setup",
)
def add_pause(series_id: int, body: PauseIn) -> PauseOut:
    pause, result = pause_service.add_pause(
        get_db(),
        series_id,
        body.start_date,
        body.end_date,
        body.reason,
        body.yearly,
        current_actor(),
        now(),
        settings().session_horizon_months,
    )
    return PauseOut(
        id=pause.id,
        series_id=series_id,
        reason=pause.reason,
        start_date=pause.start_date.isoformat(),
        end_date=pause.end_date.isoformat(),
        yearly=pause.yearly,
        kept_booked=[d.isoformat() for d in result.kept_booked_dates],
    )


@operation(
    "DELETE",
    "/pauses/{pause_id}",
    summary="Remove a pause; its afternoons are held again",
    response=None,
    status=204,
    access="admin",
    tag="setup",
)
def remove_pause(pause_id: int) -> None:
    pause_service.remove_pause(
        get_db(), pause_id, current_actor(), now(), settings().session_horizon_months
    )
