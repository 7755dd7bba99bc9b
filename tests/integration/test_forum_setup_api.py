"""Forum setup over the API (issue 15): administrators only; the same rules as the pages."""

from __future__ import annotations

from booking_helpers import tokens
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.models import Session as ForumSession

SERIES = {
    "weekday": 1,
    "anchor_date": "2026-12-15",
    "every_weeks": 2,
    "start_time": "13:00",
    "end_time": "17:00",
    "meeting_minutes": 60,
    "buffer_minutes": 15,
}


def test_an_administrator_sets_up_a_forum_through_the_api(
    client: FlaskClient, seeded: Session, clock: FixedClock
) -> None:
    auth = tokens(seeded, clock)
    forum = {"name": "Forum Älvdalen", "slug": "alvdalen", "municipality": "Älvdalens kommun"}
    assert client.post("/api/v1/forums", json=forum, headers=auth["coordinator"]).status_code == 403
    created = client.post("/api/v1/forums", json=forum, headers=auth["admin"])
    assert created.status_code == 201, created.get_json()
    again = client.post("/api/v1/forums", json=forum, headers=auth["admin"])
    assert again.status_code == 409

    wrong = client.post(
        "/api/v1/forums/alvdalen/series",
        json={**SERIES, "anchor_date": "2026-12-16"},
        headers=auth["admin"],
    )
    assert wrong.status_code == 422 and wrong.get_json()["error"]["reason"] == "anchor_not_weekday"
    shown = client.post(
        "/api/v1/forums/alvdalen/series/preview", json=SERIES, headers=auth["admin"]
    )
    assert shown.status_code == 200
    days = shown.get_json()["sessions"]
    assert days[0]["date"] == "2026-12-15"  # none before the first afternoon
    assert all(d["reason"] for d in days if not d["held"])
    count = select(func.count()).select_from(ForumSession)
    before = seeded.scalar(count)
    series = client.post("/api/v1/forums/alvdalen/series", json=SERIES, headers=auth["admin"])
    assert series.status_code == 201, series.get_json()
    assert seeded.scalar(count) > (before or 0)

    series_id = series.get_json()["id"]
    pause = {"reason": "jul", "start_date": "2026-12-23", "end_date": "2027-01-06", "yearly": True}
    added = client.post(f"/api/v1/series/{series_id}/pauses", json=pause, headers=auth["admin"])
    assert added.status_code == 201, added.get_json()
    overlap = client.post(
        f"/api/v1/series/{series_id}/pauses",
        json={**pause, "yearly": False, "start_date": "2027-12-30", "end_date": "2028-01-02"},
        headers=auth["admin"],
    )
    assert overlap.status_code == 409 and overlap.get_json()["error"]["reason"] == "pauses_overlap"
    removed = client.delete(f"/api/v1/pauses/{added.get_json()['id']}", headers=auth["admin"])
    assert removed.status_code == 204
