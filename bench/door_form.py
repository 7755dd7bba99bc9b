"""Load test of the public request form (issue 14): businesses open /forum/<slug>/boka and send
it, through gunicorn started as ``make run`` does, on 127.0.0.1 only.

Each simulated business opens the form (a GET: the page, a session cookie and a CSRF token)
and sends it (a POST: validation, the per-address limit counted in the database, the request
stored, the confirmation mail queued). Each comes from its own address (X-Forwarded-For, which
gunicorn trusts from 127.0.0.1 as it would from the municipality's proxy). Then one address
sends 50 times: the limit must let 5 through and refuse 45 with 429.

Bounded: ``--businesses`` (default 200) at ``--concurrency`` (default 4) connections.
``--scale K`` first stores K × 1,000 earlier requests, so that growth is visible.
Run: ``.venv/bin/python bench/door_form.py [--scale 10] [--database-url postgresql:///db]``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import importlib.util
import json
import os
import re
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from booking.app import close_app, create_app  # noqa: E402
from booking.migrate import upgrade  # noqa: E402
from booking.models import ContactRequest, Forum  # noqa: E402
from booking.services.demo import seed_demo  # noqa: E402
from config import Settings  # noqa: E402

SECRET = "bench-secret-not-for-production"
_spec = importlib.util.spec_from_file_location("bench_feeds", ROOT / "bench" / "feeds.py")
assert _spec and _spec.loader
bench_feeds = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_feeds)

FORM = {
    "category": "new_establishment",
    "description": "Restaurang med uteservering och fullständiga rättigheter.",
    "place": "Kyrkogatan 3, Mora",
    "start_hope": "Våren 2027",
    "org_name": "Siljans Krog AB",
    "org_number": "556036-0793",
    "contact_name": "Lisa Krögare",
    "contact_phone": "070-111 22 33",
    "questions": "food",
    "consent": "y",
}


def prepare(db_url: str, scale: int) -> None:
    settings = replace(Settings(), database_url=db_url, secret_key=SECRET)
    upgrade(db_url)
    app = create_app(settings)
    with app.extensions["session_factory"]() as db:
        seed_demo(db, datetime.now(UTC).date(), 6)
        forum_id = db.scalar(select(Forum.id).where(Forum.slug == "mora"))
        rows = [
            {
                "forum_id": forum_id, "status": "new", "source": "public",
                "category": "event", "description": "x", "place": "", "start_hope": "",
                "org_name": f"Earlier {i}", "org_number": "", "contact_name": "N N",
                "contact_email": f"n{i}@example.org", "contact_phone": "", "questions": [],
                "preferred_dates": [], "language": "sv", "consent_note": "",
                "follow_token_hash": f"{i:064x}", "created_at": datetime.now(UTC),
                "decided_by": "", "decision_note": "",
            }
            for i in range(scale * 1000)
        ]  # fmt: skip
        for start in range(0, len(rows), 5000):
            db.execute(insert(ContactRequest), rows[start : start + 5000])
        db.commit()
    close_app(app)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    engine.dispose()


def one_business(base: str, address: str, email: str) -> tuple[float, float, int]:
    """(GET seconds, POST seconds, POST status) for one business sending the form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    headers = {"X-Forwarded-For": address}
    started = time.perf_counter()
    with opener.open(urllib.request.Request(f"{base}/forum/mora/boka", headers=headers)) as r:
        page = r.read().decode()
    got = time.perf_counter() - started
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    body = {**FORM, "contact_email": email, "csrf_token": token.group(1) if token else ""}
    data = urllib.parse.urlencode(body).encode()
    started = time.perf_counter()
    try:
        with opener.open(
            urllib.request.Request(f"{base}/forum/mora/boka", data=data, headers=headers)
        ) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return got, time.perf_counter() - started, status


def quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
    }


def run(base: str, businesses: int, concurrency: int) -> dict[str, object]:
    jobs = [
        (f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}", f"b{i}@bench.example")
        for i in range(businesses)
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(lambda job: one_business(base, *job), jobs))
    wall = time.perf_counter() - started
    statuses = [status for _, _, status in results]
    with ThreadPoolExecutor(concurrency) as pool:
        abuse = list(
            pool.map(
                lambda i: one_business(base, "192.0.2.50", f"spam{i}@bench.example")[2], range(50)
            )
        )
    return {
        "businesses": businesses,
        "concurrency": concurrency,
        "get": quantiles([g for g, _, _ in results]),
        "post": quantiles([p for _, p, _ in results]),
        "forms_sent_per_s": round(businesses / wall, 1),
        "post_statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "one_address_50_times": {str(s): abuse.count(s) for s in sorted(set(abuse))},
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--businesses", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--scale", type=int, default=0, help="K × 1,000 earlier requests")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        db_url = args.database_url or f"sqlite:///{workdir / 'door.sqlite3'}"
        prepare(db_url, args.scale)
        port = bench_feeds.free_port()
        env = {
            **os.environ, "DATABASE_URL": db_url, "SECRET_KEY": SECRET,
            "APP_ENV": "development", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }  # fmt: skip
        proc = bench_feeds.start_gunicorn(env, port, workdir / "gunicorn.log")
        try:
            base = f"http://127.0.0.1:{port}"
            bench_feeds.wait_http(f"{base}/forum/mora/boka")
            figures = run(base, args.businesses, args.concurrency)
        finally:
            bench_feeds.stop(proc)
    figures = {"database": db_url.split(":")[0], "scale": args.scale, **figures}
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
