"""Demo only: create the Xandikos principals of the organizer and every representative.

Xandikos multi-user principals start without a calendar-user address, and forget addresses
until the principal's next request after a restart, so `make run` runs this every start.
Usage: python scripts/demo_caldav_users.py http://127.0.0.1:8010/
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

from caldav.davclient import DAVClient
from caldav.elements import cdav, dav
from sqlalchemy import select

from booking.clock import SystemClock
from booking.db import make_engine, make_session_factory
from booking.models import Forum, Representative
from booking.services.policies import Policies
from config import load_settings


def provision(url: str, user: str, addresses: list[str]) -> None:
    with DAVClient(url=url, headers={"X-Remote-User": user}, timeout=10) as client:
        principal = client.get_principal()
        hrefs = [dav.Href(value=a if a.startswith("mailto:") else f"mailto:{a}") for a in addresses]
        principal.set_properties([cdav.CalendarUserAddressSet() + hrefs])
        principal.get_calendars()


def main() -> None:
    url = sys.argv[1]
    settings = load_settings()
    factory = make_session_factory(
        make_engine(settings.database_url), SystemClock(), Policies.from_settings(settings)
    )
    with factory() as db:
        organizers = {f.organizer_email for f in db.scalars(select(Forum)) if f.organizer_email}
        organizers.add(settings.organizer_email)
        provision(url, settings.caldav_username or "forum", sorted(organizers))
        reps = db.scalars(select(Representative).where(Representative.active.is_(True))).all()
        people = [(rep.email.split("@")[0], [rep.address]) for rep in reps]
    # In parallel: a fresh Xandikos creates each principal's calendars (a git repository each).
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda p: provision(url, *p), people))
    print(f"  CalDAV demo principals: organizer + {len(reps)} representatives")


if __name__ == "__main__":
    main()
