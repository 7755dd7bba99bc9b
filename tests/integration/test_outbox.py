"""The outbox: claims, leases, backoff, several workers, and the fault cases of issue 5."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from caldav_servers import (  # noqa: F401
    SmtpSink,
    XandikosServer,
    smtp_sink_fixture,
    xandikos_fixture,
)
from invitation_data import ORGANIZER, PEOPLE, book_meeting, close_workers, make_worker, make_world
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from booking.clock import FixedClock
from booking.models import Attendee, OutboxMessage
from booking.services.invitations import outbox
from booking.services.invitations.outbox import OutboxPolicy, OutgoingMail, TransientError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _close_workers() -> Any:
    yield
    close_workers()


class RecordingMailer:
    """Stands in for SMTP where only the claim logic is under test (no mail content checked)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.sent: list[str] = []
        self.delay = delay
        self.lock = threading.Lock()

    def send(self, mail: OutgoingMail) -> None:
        time.sleep(self.delay)
        with self.lock:
            self.sent.append(mail.message_id)


def _emails(db: Session, n: int, now: datetime) -> None:
    for i in range(n):
        outbox.enqueue_email(db, now, to=f"p{i}@x.example", subject=f"s{i}", text="t")
    db.commit()


def test_claim_takes_due_messages_once_and_honours_the_lease(
    db: Session, clock: FixedClock
) -> None:
    now = clock.now()
    _emails(db, 3, now)
    later = outbox.enqueue_email(db, now, to="x@x.example", subject="later", text="t")
    later.next_attempt_at = now + timedelta(hours=1)
    db.commit()
    policy = OutboxPolicy(lease_seconds=60)
    first = outbox.claim(db, now, policy)
    assert len(first) == 3
    assert outbox.claim(db, now, policy) == []  # leased
    # The worker holding them died: after the lease they are due again, attempts counted.
    again = outbox.claim(db, now + timedelta(seconds=61), policy)
    assert sorted(again) == sorted(first)
    db.expire_all()
    assert {m.attempts for m in db.scalars(select(OutboxMessage)).all() if m.id in first} == {2}


def test_two_workers_never_deliver_the_same_message(
    app: Any, db: Session, clock: FixedClock
) -> None:
    _emails(db, 40, clock.now())
    mailer = RecordingMailer(delay=0.01)
    factory = app.extensions["session_factory"]
    handlers = {outbox.EMAIL: outbox.email_handler(mailer, "forum.test")}
    policy = OutboxPolicy()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with factory() as session:
                while outbox.deliver_due(session, handlers, clock.now(), policy, limit=5).done:
                    pass
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(mailer.sent) == 40
    assert len(set(mailer.sent)) == 40
    db.expire_all()
    assert db.scalar(select(func.count()).where(OutboxMessage.status == "done")) == 40


def test_permanent_failure_stops_retrying(db: Session, clock: FixedClock) -> None:
    _emails(db, 1, clock.now())

    def boom(session: Session, message: OutboxMessage, now: datetime) -> None:
        raise outbox.PermanentError("550 no such user")

    report = outbox.deliver_due(db, {outbox.EMAIL: boom}, clock.now(), OutboxPolicy())
    assert report.failed == 1
    db.expire_all()
    message = db.scalar(select(OutboxMessage))
    assert message is not None and message.status == "failed" and "550" in message.last_error


def test_transient_failures_give_up_after_max_attempts(db: Session, clock: FixedClock) -> None:
    _emails(db, 1, clock.now())

    def down(session: Session, message: OutboxMessage, now: datetime) -> None:
        raise TransientError("connection refused")

    policy = OutboxPolicy(max_attempts=3, backoff_base_seconds=1)
    now = clock.now()
    results = []
    for _ in range(3):
        results.append(outbox.deliver_due(db, {outbox.EMAIL: down}, now, policy))
        now += timedelta(hours=1)
    assert [(r.retried, r.failed) for r in results] == [(1, 0), (1, 0), (0, 1)]


# ---------------------------------------------------------------- faults with real servers


def _users(server: XandikosServer) -> None:
    server.add_user("forum", ORGANIZER)
    for user, (_, _, mail, _) in PEOPLE.items():
        server.add_user(user, mail)


def _inbox_count(server: XandikosServer, user: str, uid: str) -> int:
    with server.client(user) as client:
        items = client.get_principal().schedule_inbox().get_items()
        return sum(1 for i in items if i.is_invite_request() and i.id == uid)


def _organizer_objects(server: XandikosServer) -> list[str]:
    with server.client("forum") as client:
        cal = client.get_principal().get_calendars()[0]
        return [str(o.id) for o in cal.search(event=True)]


def test_caldav_down_while_booking_then_delivered_exactly_once(
    app: Any, db: Session, clock: FixedClock, xandikos: XandikosServer, smtp_sink: SmtpSink
) -> None:
    _users(xandikos)
    world = make_world(db)
    xandikos.stop()
    meeting = book_meeting(db, world, clock.now(), contact_email="")  # booking succeeds
    worker = make_worker(app, smtp_sink.port, caldav_url=xandikos.url, caldav_user="forum")
    report = worker.tick(clock.now(), force=True)
    assert report.delivered == 0 and report.retried == 1
    db.expire_all()
    message = db.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation.deliver"))
    assert message is not None and message.status == "pending"
    assert "unreachable" in message.last_error or "CalDAV" in message.last_error
    assert {a.delivery_state for a in db.scalars(select(Attendee))} == {"pending"}
    assert smtp_sink.messages == []  # no fallback mail just because the server is down

    xandikos.start()  # same port, same data
    # Xandikos multi-user knows a principal's address only after the principal's own first
    # request since the start (its quirk, not ours): the representatives' clients reconnect.
    _users(xandikos)
    clock.set(clock.now() + timedelta(minutes=10))
    report = worker.tick(clock.now(), force=True)
    assert report.delivered == 1, report.errors
    worker.tick(clock.now() + timedelta(minutes=1), force=True)
    for user in ("anna", "oskar", "lars"):
        assert _inbox_count(xandikos, user, meeting.uid) == 1
    assert _organizer_objects(xandikos).count(meeting.uid) == 1
    assert smtp_sink.messages == []


class CalDavGate:
    """An HTTP relay in front of the CalDAV server that passes ``allow`` PUTs both ways, then
    passes the next PUT to the server but holds its answer back until released. A worker that
    delivers through it is stopped at a known point (its last object stored on the server, the
    worker never told), whatever the machine's speed: the kill below is no race."""

    HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})

    def __init__(self, upstream: str, allow: int) -> None:
        self.upstream = urlsplit(upstream)
        self.allow = allow
        self.puts = 0
        self.held = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        gate = self

        class Relay(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                hold = False
                if self.command == "PUT":
                    with gate.lock:
                        gate.puts += 1
                        hold = gate.puts > gate.allow
                status, reason, headers, data = gate.forward(
                    self.command, self.path, self.headers, body
                )
                if hold:
                    gate.held.set()
                    gate.release.wait(120)
                    self.close_connection = True
                    return
                self.send_response_only(status, reason)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_OPTIONS = relay
            do_PROPFIND = do_PROPPATCH = do_REPORT = do_MKCALENDAR = relay

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)  # bound here: no port race
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def forward(
        self, method: str, path: str, headers: Any, body: bytes | None
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=30)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in self.HOP}
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in self.HOP]
            return response.status, response.reason, kept, data
        finally:
            conn.close()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


def test_worker_killed_mid_delivery_loses_and_duplicates_nothing(
    app: Any,
    db: Session,
    clock: FixedClock,
    xandikos: XandikosServer,
    smtp_sink: SmtpSink,
    settings: Any,
) -> None:
    _users(xandikos)
    now = datetime.now(UTC)  # the worker below runs on the real clock
    world = make_world(db, slots=12)
    meetings = [book_meeting(db, world, now, contact_email="") for _ in range(12)]
    lease = 2
    gate = CalDavGate(xandikos.url, allow=4)
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": settings.database_url,
        "CALDAV_URL": gate.url,
        "CALDAV_USERNAME": "forum",
        "CALDAV_REMOTE_USER_HEADER": "true",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_sink.port),
        "OUTBOX_LEASE_SECONDS": str(lease),
        "WORKER_POLL_SECONDS": "1",
        "PUBLIC_BASE_URL": "http://forum.test",
        "PYTHONWARNINGS": "ignore",
    }
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "forum", "worker"]
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        # The fifth organizer copy is stored on the server and its answer held: the worker
        # waits for it in the middle of a delivery, four meetings done, the rest not.
        assert gate.held.wait(60), "the worker never reached the fifth delivery"
        proc.send_signal(signal.SIGKILL)  # no chance to finish or clean up
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
        if proc.stdout:
            proc.stdout.close()
        gate.close()
    db.expire_all()
    done = db.scalar(select(func.count()).where(OutboxMessage.status == "done")) or 0
    running = db.scalar(select(func.count()).where(OutboxMessage.status == "running")) or 0
    assert 3 <= done < 12, "the worker was not killed in the middle of the work"
    assert running >= 1, "no delivery was cut off"
    # The dead worker's lease runs out on the clock the next worker is given, not by waiting:
    # the lease is compared in the database with that worker's "now".
    clock.set(datetime.now(UTC) + timedelta(seconds=lease + 1))
    worker = make_worker(
        app, smtp_sink.port, caldav_url=xandikos.url, caldav_user="forum", lease_seconds=lease
    )
    report = worker.tick(clock.now(), force=True)  # type: ignore[attr-defined]
    assert report.errors == [], report.errors
    db.expire_all()
    assert db.scalar(select(func.count()).where(OutboxMessage.status != "done")) == 0
    # `flask forum worker --once` on the same database afterwards: nothing left, nothing again.
    finished = subprocess.run(
        [*command, "--once"],
        cwd=REPO,
        env={**env, "CALDAV_URL": xandikos.url},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "worker: delivered 0," in finished.stdout, finished.stdout
    objects = _organizer_objects(xandikos)
    for meeting in meetings:
        assert objects.count(meeting.uid) == 1
        for user in ("anna", "oskar", "lars"):
            assert _inbox_count(xandikos, user, meeting.uid) == 1, (user, meeting.uid)
    assert {a.delivery_state for a in db.scalars(select(Attendee))} == {"delivered"}
