from flask.testing import FlaskClient
from sqlalchemy.orm import Session as Db

import feeds_helpers as h
from booking.clock import FixedClock


def test_smoke(client: FlaskClient, seeded: Db, clock: FixedClock) -> None:
    m = h.book(seeded, clock.now())
    dept = h.department(seeded, "stadsbyggnad")
    path = h.url(seeded, "department", dept.id, clock.now())
    data = h.get_feed(client, path)
    print(data.decode())
    cal = h.parse_both(data)
    assert m.uid in h.events(cal)
    print(client.get("/feeds/forums/mora/availability.ics").data.decode()[:3000])
