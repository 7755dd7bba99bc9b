"""Build every feed type from the demo data and run the independent checker on them.

Demo data plus three meetings (booked, cancelled, confidential) in a throw-away SQLite database;
then the department, representative, forum, case and public availability feeds are written to
files and checked with ``icscheck -W`` (warnings fail too), and two of them are fetched by the
checker from gunicorn started as ``make run`` starts it (HTTP checks: Content-Type, ETag, 304).

    .venv/bin/python tools/icscheck_feeds.py [--icscheck PATH] [--keep DIR]

Exit status: icscheck's (0 only when every feed passed every parser and rule).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from booking.app import create_app  # noqa: E402
from booking.migrate import upgrade  # noqa: E402
from booking.models import (  # noqa: E402
    Department,
    Forum,
    Meeting,
)
from booking.services.demo import seed_demo  # noqa: E402
from booking.services.feeds import tokens as feed_tokens  # noqa: E402
from config import Settings  # noqa: E402

DEFAULT_ICSCHECK = ROOT.parent / "shared" / "tools" / "icscheck" / "icscheck"
SECRET = "icscheck-demo-secret"


def _book(db: Session, now: datetime, n: int, **case: object) -> Meeting:
    """A demo case booked through the real case and booking services (earliest slot)."""
    from booking.services.audit import Actor
    from booking.services.cases import registry as case_service
    from booking.services.meetings import book as book_service

    depts = list(
        db.scalars(select(Department).where(Department.slug.in_(["stadsbyggnad", "brandkar"])))
    )
    data: dict[str, object] = {
        "forum": "mora",
        "org_name": f"Siljans Café & Bageri {n} AB",
        "contact_name": "Maja Eriksson",
        "contact_email": "maja@siljanscafe.example",
        "contact_phone": "0250-123 45",
        "description": "Öppnar café med uteservering; frågor om bygglov, brandskydd",
        "category": "new_establishment",
        "department_ids": [d.id for d in depts],
        "confidential": False,
        "consent_to_share": True,
    }
    data.update(case)
    actor = Actor.system("icscheck demo")
    created = case_service.create_case(db, data, actor, now=now)
    return book_service.book(db, created.id, {"slot": "earliest"}, actor, now=now)


def build(settings: Settings, out: Path) -> tuple[list[Path], list[str]]:
    """Write every feed type to ``out``; return the files and the paths to fetch over HTTP."""
    upgrade(settings.database_url)
    app = create_app(settings)
    now = datetime.now(UTC)
    with app.extensions["session_factory"]() as db:
        seed_demo(db, now.date(), 18)
        from booking.services.audit import Actor
        from booking.services.meetings import changes as meeting_changes

        booked = _book(db, now, 1)
        cancelled = _book(db, now, 2, org_name="Orsa Camping AB")
        meeting_changes.cancel_meeting(
            db, cancelled.id, "Kunden har återkallat ärendet", Actor.system("demo"), now=now
        )
        _book(db, now, 3, confidential=True, org_name="Hemligt Projekt AB")
        dept = db.scalar(select(Department).where(Department.slug == "stadsbyggnad"))
        forum = db.scalar(select(Forum).where(Forum.slug == "mora"))
        assert dept is not None and forum is not None
        rep = next(r for r in dept.representatives if not r.is_deputy)
        paths = {
            "department": ("department", dept.id),
            "representative": ("representative", rep.id),
            "forum": ("forum", forum.id),
            "case": ("case", booked.case_id),
        }
        urls = {
            name: feed_tokens.feed_path(kind, feed_tokens.ensure(db, kind, ident, SECRET, now))
            for name, (kind, ident) in paths.items()
        }
    urls["availability"] = "/feeds/forums/mora/availability.ics"
    client = app.test_client()
    files = []
    for name, path in urls.items():
        response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        target = out / f"{name}.ics"
        target.write_bytes(response.data)
        files.append(target)
    app.extensions["engine"].dispose()
    return files, [urls["department"], urls["availability"]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_and_check(settings: Settings, icscheck: Path, paths: list[str], log: Path) -> int:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": settings.database_url, "SECRET_KEY": SECRET}
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    cmd = [gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,  # as `make run` starts it: the rest comes from gunicorn.conf.py
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        urls = [f"http://127.0.0.1:{port}{p}" for p in paths]
        return subprocess.run([str(icscheck), "-W", *urls]).returncode
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--icscheck", type=Path, default=Path(os.environ.get("ICSCHECK", DEFAULT_ICSCHECK))
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="write the feeds here and keep them"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="feeds-icscheck-"))
    out = args.keep or work
    out.mkdir(parents=True, exist_ok=True)
    settings = replace(
        Settings(), database_url=f"sqlite:///{work / 'demo.sqlite3'}", secret_key=SECRET
    )
    try:
        files, paths = build(settings, out)
        status = subprocess.run([str(args.icscheck), "-W", *map(str, files)]).returncode
        http_status = serve_and_check(settings, args.icscheck, paths, work / "gunicorn.log")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    worst = max(status, http_status)
    print(f"icscheck on {len(files)} feed files and {len(paths)} URLs: exit {worst}")
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
