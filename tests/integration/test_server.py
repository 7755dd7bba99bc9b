"""The real server: gunicorn started as ``make run`` and the Dockerfile start it (the worker
class, application and access log from gunicorn.conf.py), on a SQLite file seeded with the demo
data. Checks what only a real server shows: kept-alive connections, the Flask pages behind the
ASGI front, a graceful stop, and an access log that names feeds but never holds a token."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from caldav_servers import listening_socket
from sqlalchemy import select

from booking.app import create_app
from booking.domain.vocabulary import CaseCategory
from booking.migrate import upgrade
from booking.models import Case, Department, Forum
from booking.services.demo import seed_demo
from booking.services.feeds import tokens as feed_tokens
from booking.services.invitations.links import customer_link
from config import Settings

ROOT = Path(__file__).resolve().parents[2]
SECRET = "server-test-secret"


@dataclass
class Server:
    port: int
    feed_path: str
    dept_id: int
    customer_path: str
    log: Path
    proc: subprocess.Popen[bytes]

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)


def _seed(database_url: str) -> tuple[str, int, str]:
    upgrade(database_url)
    settings = replace(Settings(), database_url=database_url, secret_key=SECRET)
    app = create_app(settings)
    now = datetime.now(UTC)
    with app.extensions["session_factory"]() as db:
        seed_demo(db, now.date(), 6)
        dept = db.scalar(select(Department).where(Department.slug == "stadsbyggnad"))
        assert dept is not None
        token = feed_tokens.create(db, "department", dept.id, SECRET, now)
        forum = db.scalar(select(Forum).where(Forum.slug == "mora"))
        assert forum is not None
        case = Case(
            forum_id=forum.id,
            reference="MORA-2026-0900",
            org_name="Siljans Krog AB",
            org_number="556036-0793",
            contact_name="Lisa Krögare",
            contact_email="lisa@krog.example",
            category=CaseCategory.NEW_ESTABLISHMENT,
            description="Restaurang med uteservering.",
        )
        db.add(case)
        db.flush()
        customer = customer_link(db, case, base_url="", secret_key=SECRET)
        db.commit()
        dept_id = dept.id
    app.extensions["engine"].dispose()
    return feed_tokens.feed_path("department", token), dept_id, customer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("server")
    database_url = f"sqlite:///{work / 'forum.sqlite3'}"
    feed_path, dept_id, customer_path = _seed(database_url)
    # gunicorn serves on the listening socket bound here (``--bind fd://N``), so the port is
    # never free for another process between choosing it and serving on it.
    listener = listening_socket()
    port = int(listener.getsockname()[1])
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET}
    env["APP_ENV"] = "development"
    log = work / "gunicorn.log"
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [gunicorn, "--bind", f"fd://{listener.fileno()}", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(listener.fileno(),),
        )
    listener.close()  # gunicorn has its own copy; ours would keep the port open after its stop
    running = Server(port, feed_path, dept_id, customer_path, log, proc)
    # Ready once /healthz answers. The socket listens from the start, so a request made before
    # a worker runs waits in the backlog (up to the connection's timeout) instead of being
    # refused; polled until the deadline, failing at once if gunicorn exits.
    deadline = time.monotonic() + 60
    while True:
        conn = running.connection()
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError(log.read_text()) from None
            time.sleep(0.2)
        finally:
            conn.close()
    yield running
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_feed_polls_on_one_kept_alive_connection(server: Server) -> None:
    conn = server.connection()
    conn.request("GET", server.feed_path)
    first = conn.getresponse()
    body = first.read()
    assert first.status == 200 and first.getheader("Content-Type") == "text/calendar; charset=utf-8"
    assert b"BEGIN:VCALENDAR" in body and first.getheader("Server") is None
    etag = first.getheader("ETag")
    assert etag
    sock = conn.sock
    for _ in range(3):
        conn.request("GET", server.feed_path, headers={"If-None-Match": etag})
        again = conn.getresponse()
        again.read()
        assert again.status == 304 and again.getheader("ETag") == etag
    conn.request("HEAD", server.feed_path)
    head = conn.getresponse()
    assert head.read() == b"" and int(head.getheader("Content-Length") or 0) == len(body)
    assert conn.sock is sock  # the same TCP connection all along
    conn.close()


def test_pages_forms_and_errors_behind_the_front(server: Server) -> None:
    conn = server.connection()
    conn.request("GET", "/login")
    login = conn.getresponse()
    assert login.status == 200 and "Logga in" in login.read().decode()
    conn.request("GET", "/assets/web.css")  # a file Flask streams (send_file) through a2wsgi
    css = conn.getresponse()
    assert css.status == 200 and css.getheader("Content-Type", "").startswith("text/css")
    assert css.read() == (ROOT / "booking" / "web" / "static" / "web.css").read_bytes()
    conn.request("POST", "/api/v1/cases", body=b"{}", headers={"Content-Type": "application/json"})
    api = conn.getresponse()
    assert api.status == 401 and b'"error"' in api.read()
    conn.request("GET", "/feeds/departments/DsTKCCvqfjBpGpsEna5tDlrfq4ty-jn3L8b7NzHuqdU.ics")
    unknown = conn.getresponse()
    assert unknown.status == 404 and unknown.read() == b"Not found\n"
    conn.close()


def test_a_coordinator_logs_in_through_the_form(server: Server) -> None:
    """A form POST with its CSRF token and session cookie, through the front to Flask."""
    import re
    from urllib.parse import urlencode

    from booking.services.demo import DEMO_LOGINS, DEMO_PASSWORD

    conn = server.connection()
    conn.request("GET", "/login")
    page = conn.getresponse()
    cookie = (page.getheader("Set-Cookie") or "").split(";", 1)[0]
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page.read().decode())
    if not (match and cookie):
        conn.close()
        raise AssertionError("no CSRF token or session cookie on the login page")
    form = {"csrf_token": match[1], "email": DEMO_LOGINS["coordinator"], "password": DEMO_PASSWORD}
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    conn.request("POST", "/login", body=urlencode(form).encode(), headers=headers)
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 302 and answer.getheader("Location", "").endswith("/overview")
    conn.close()


def test_a_thirty_megabyte_upload_gets_the_413_page_not_a_dropped_connection(
    server: Server,
) -> None:
    """A phone uploading a 30 MB photo, through the real server: the business reads why it
    was refused (the 413 page), where a server closing the socket on an unread upload would
    show it a reset connection."""
    boundary = "dorrenin"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="foto.jpg"'
        "\r\nContent-Type: image/jpeg\r\n\r\n"
    ).encode()
    body = head + b"\xff\xd8\xff" + b"0" * (30 * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    conn = server.connection()
    conn.request(
        "POST",
        f"{server.customer_path}/dokument",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    answer = conn.getresponse()
    page = answer.read().decode()
    assert answer.status == 413
    assert "Filen är för stor: högst 10 MB per fil" in page
    conn.close()


# Last: it stops the server.
def test_access_log_names_the_feed_never_the_token_and_stop_is_graceful(
    server: Server,
) -> None:
    conn = server.connection()
    conn.request("GET", server.feed_path, headers={"Referer": f"http://x{server.feed_path}"})
    conn.getresponse().read()
    link_tokens = ["cUsTomErPaGeToKeN0123456789abcdef", "RsVpLiNkToKeN0123456789abcdefgh"]
    conn.request("GET", f"/c/{link_tokens[0]}")
    conn.getresponse().read()
    conn.request("GET", f"/r/{link_tokens[1]}", headers={"Referer": f"http://x/c/{link_tokens[0]}"})
    conn.getresponse().read()
    conn.close()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(20) == 0
    log = server.log.read_text()
    assert "[ERROR]" not in log and "Application shutdown complete" in log
    token = server.feed_path.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in log
    polls = [line for line in log.splitlines() if "GET /feeds/departments/" in line]
    assert len(polls) >= 5
    assert f'"GET /feeds/departments/~department-{server.dept_id}.ics HTTP/1.1" 304 0' in log
    assert '"GET /feeds/departments/~redacted.ics HTTP/1.1" 404' in log
    assert '"http://x/feeds/departments/~redacted.ics"' in log
    assert '"POST /api/v1/cases HTTP/1.1" 401' in log
    # The customer's page and RSVP links are credentials too (issue 11).
    assert not any(link in log for link in link_tokens)
    assert '"GET /c/~redacted HTTP/1.1" 404' in log
    assert '"GET /r/~redacted HTTP/1.1"' in log and '"http://x/c/~redacted"' in log
