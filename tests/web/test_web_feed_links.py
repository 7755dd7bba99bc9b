"""Feed links handed out from a page (issue 15): webcal and https forms and a QR code; rotate
stops the old link at once, revoke stops it altogether; audited without the token."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session as Db
from webhelpers import LoginAs, text_of

from booking.models import AuditEvent, Department


def _link(html: str) -> str:
    found = re.search(r'value="http://forum\.test(/feeds/departments/[^"]+\.ics)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def test_a_coordinator_hands_out_rotates_and_revokes_a_department_link(
    login_as: LoginAs, seeded: Db
) -> None:
    assert login_as("representative").get("/admin/feeds").status_code == 403
    client = login_as("coordinator")
    department = seeded.scalars(select(Department).order_by(Department.id)).first()
    assert department is not None
    listing = text_of(client.get("/admin/feeds").get_data(as_text=True))
    assert department.name in listing and "Kalenderlänkar" in listing
    shown = client.post(f"/admin/feeds/department/{department.id}")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert 'href="webcal://forum.test/feeds/departments/' in html
    assert '<svg role="img"' in html and "<title>QR-kod för kalenderlänken" in html
    first = _link(html)
    assert client.get(first).status_code == 200
    assert (
        _link(client.post(f"/admin/feeds/department/{department.id}").get_data(as_text=True))
        == first
    )

    rotated = client.post(f"/admin/feeds/department/{department.id}", data={"action": "rotate"})
    second = _link(rotated.get_data(as_text=True))
    assert second != first
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200

    revoked = client.post(f"/admin/feeds/department/{department.id}/revoke", follow_redirects=True)
    assert "är återkallad" in text_of(revoked.get_data(as_text=True))
    assert client.get(second).status_code == 404

    trail = seeded.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "feed_link").order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in trail] == ["hand_out", "show", "rotate", "revoke"]
    token = second.rsplit("/", 1)[1].removesuffix(".ics")
    assert all(token not in str(e.after) for e in trail)


def test_an_unknown_feed_is_404(login_as: LoginAs, seeded: Db) -> None:
    client = login_as("coordinator")
    assert client.post("/admin/feeds/department/999999").status_code == 404
    assert client.post("/admin/feeds/case/1").status_code == 404
