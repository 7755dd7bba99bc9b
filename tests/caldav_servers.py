"""Real servers for the invitation tests, on 127.0.0.1 ports with temporary directories.

- Xandikos in multi-user mode: RFC 6638 scheduling between local users (X-Remote-User header
  trusted from 127.0.0.1 only: test/demo setup, never production).
- Radicale: a CalDAV server without scheduling (every attendee then gets iMIP).
- aiosmtpd: an SMTP server in this process that keeps what it receives.
- Cyrus IMAP with CalDAV (Debian packages): a second scheduling server, the one that answers
  free/busy for others, and the IMAP mailbox where iMIP replies arrive.
Each can be stopped and started again on the same port and data (fault tests).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from caldav.davclient import DAVClient
from caldav.elements import cdav, dav

BIN = Path(sys.executable).parent


def listening_socket(port: int = 0) -> socket.socket:
    """A socket bound to 127.0.0.1:``port`` (0: the kernel picks a free one) and listening, to
    hand to a server that can serve on a socket it is given: the SMTP sink here, gunicorn with
    ``--bind fd://N`` (tests/integration/test_server.py). The port is ours from the bind on, so
    no other process can take it between "find a port" and "serve on it"."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(64)
    return sock


def closed_port() -> socket.socket:
    """A port where nothing listens, held for as long as the socket is open: bound, never
    listening, so a connection to it is refused and no other process can start serving there.
    Keep the socket while the port is used (``with closed_port() as sock``)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def free_port() -> int:
    """A port that was free a moment ago, for servers started as another program that bind
    their own port and cannot be handed a socket: Xandikos (its only way in is systemd socket
    activation, which needs systemd-python and a booted systemd), Radicale (binds the
    ``hosts`` of its config) and Cyrus (master binds the ``listen=`` of cyrus.conf). Between
    this close and the server's bind another process could take the port; on this machine's
    loopback that does not happen in practice, and ``wait_for_port`` then fails within its
    deadline instead of hanging. Servers that can take a socket get ``listening_socket``."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(
    port: int, timeout: float = 15.0, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll until something accepts on the port, up to ``timeout`` seconds; fail at once when
    the server's process (``proc``) has exited meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server for 127.0.0.1:{port} exited ({proc.returncode})")
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# ---------------------------------------------------------------- SMTP sink


@dataclass
class SmtpSink:
    host: str = "127.0.0.1"
    port: int = 0
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def start(self) -> None:
        """Serve on a socket bound here (the first time on a port the kernel picks; again on
        the same port after ``stop``, for the fault tests)."""
        sock = listening_socket(self.port)
        self.port = int(sock.getsockname()[1])
        self.controller = _ControllerOnSocket(self, sock)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def parsed(self) -> list[EmailMessage]:
        return [_parse(raw) for _, _, raw in self.messages]

    def to(self, address: str) -> list[EmailMessage]:
        return [
            _parse(raw)
            for _, rcpts, raw in self.messages
            if address.lower() in (r.lower() for r in rcpts)
        ]


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def calendar_parts(message: Message) -> list[tuple[str, bytes]]:
    """(method parameter, payload) of every text/calendar part."""
    parts = []
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts.append((str(part.get_param("method") or ""), payload))
    return parts


class _ControllerOnSocket(Controller):
    """aiosmtpd's threaded controller serving on a socket that is already bound and listening
    (``loop.create_server(sock=...)``); stopping it closes the socket."""

    def __init__(self, handler: Any, sock: socket.socket) -> None:
        self._sock = sock
        super().__init__(handler, hostname="127.0.0.1", port=int(sock.getsockname()[1]))

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._sock)


@pytest.fixture(name="smtp_sink")
def smtp_sink_fixture(smtp_server: SmtpSink) -> Iterator[SmtpSink]:
    """The run's SMTP sink (``smtp_server`` in conftest.py) with no messages in it, running (a
    fault test may have stopped it)."""
    if smtp_server.controller is None:
        smtp_server.start()
    smtp_server.messages.clear()
    yield smtp_server
    if smtp_server.controller is None:
        smtp_server.start()
    smtp_server.messages.clear()


# ---------------------------------------------------------------- Xandikos multi-user


@dataclass
class XandikosServer:
    base: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        self.port = self.port or free_port()
        (self.base / "data").mkdir(parents=True, exist_ok=True)
        (self.base / "state").mkdir(parents=True, exist_ok=True)
        log = open(self.base / "xandikos.log", "ab")  # noqa: SIM115  (closed with the process)
        self.proc = subprocess.Popen(
            [
                str(BIN / "xandikos"),
                "multi-user",
                "-d",
                str(self.base / "data"),
                "--defaults",
                "-l",
                "127.0.0.1",
                "-p",
                str(self.port),
                "--no-detect-systemd",
                "--state-dir",
                str(self.base / "state"),
                "--trust-x-remote-user-from",
                "127.0.0.1",
            ],
            stdout=log,
            stderr=log,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        log.close()
        wait_for_port(self.port, proc=self.proc)

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None

    def client(self, user: str) -> DAVClient:
        return DAVClient(url=self.url, headers={"X-Remote-User": user}, timeout=10)

    def calendar_url(self, user: str) -> str:
        return f"{self.url}{user}/calendars/calendar/"

    def add_user(self, user: str, address: str) -> None:
        """Create the principal (first request) and give it its calendar-user address."""
        with self.client(user) as client:
            principal = client.get_principal()
            principal.set_properties(
                [cdav.CalendarUserAddressSet() + [dav.Href(value=f"mailto:{address}")]]  # noqa: RUF005
            )
            principal.get_calendars()


@pytest.fixture(name="xandikos")
def xandikos_fixture(tmp_path: Path) -> Iterator[XandikosServer]:
    server = XandikosServer(tmp_path / "xandikos")
    server.start()
    yield server
    server.stop()


# ---------------------------------------------------------------- Radicale (no scheduling)


@dataclass
class RadicaleServer:
    base: Path
    users: dict[str, str]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        self.port = self.port or free_port()
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "users").write_text(
            "".join(f"{user}:{password}\n" for user, password in self.users.items())
        )
        (self.base / "config").write_text(
            f"[server]\nhosts = 127.0.0.1:{self.port}\n"
            f"[auth]\ntype = htpasswd\nhtpasswd_filename = {self.base / 'users'}\n"
            "htpasswd_encryption = plain\ndelay = 0\n"
            "[rights]\ntype = owner_only\n"
            f"[storage]\nfilesystem_folder = {self.base / 'collections'}\n"
            "[logging]\nlevel = warning\n"
        )
        log = open(self.base / "radicale.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(BIN / "python"),
                "-W",
                "ignore",
                "-m",
                "radicale",
                "-C",
                str(self.base / "config"),
            ],
            stdout=log,
            stderr=log,
        )
        log.close()
        wait_for_port(self.port, proc=self.proc)

    def stop(self) -> None:
        _stop(self.proc)
        self.proc = None

    def client(self, user: str) -> DAVClient:
        return DAVClient(
            url=self.url,
            username=user,
            password=self.users[user],
            auth_type="basic",
            timeout=10,
        )


@pytest.fixture(name="radicale")
def radicale_fixture(tmp_path: Path) -> Iterator[RadicaleServer]:
    server = RadicaleServer(tmp_path / "radicale", {"forum": "forum-secret"})
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.base, ignore_errors=True)


# ---------------------------------------------------------------- Cyrus IMAP + CalDAV


CYRUS_IMAPD_CONF = """configdirectory: {base}/config
defaultpartition: default
partition-default: {base}/spool
proc_path: {base}/run/proc
mboxname_lockpath: {base}/run/lock
lmtpsocket: {base}/run/socket/lmtp
idlesocket: {base}/run/socket/idle
notifysocket: {base}/run/socket/notify
servername: {domain}
calendar_user_address_set: {domain}
admins: cyrusadmin
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {base}/sasldb2
sasl_mech_list: PLAIN LOGIN
httpmodules: caldav
httpallowcompress: no
caldav_realm: test
caldav_historical_age: -1
virtdomains: off
altnamespace: no
unixhierarchysep: no
"""
CYRUS_CONF = """START {{ recover cmd="ctl_cyrusdb -C {base}/imapd.conf -r" }}
SERVICES {{
  imap     cmd="imapd -C {base}/imapd.conf" listen="127.0.0.1:{imap_port}" prefork=0
  http     cmd="httpd -C {base}/imapd.conf" listen="127.0.0.1:{port}" prefork=0
  lmtpunix cmd="lmtpd -C {base}/imapd.conf" listen="{base}/run/socket/lmtp" prefork=0
}}
EVENTS {{ checkpoint cmd="ctl_cyrusdb -C {base}/imapd.conf -c" period=30 }}
DAEMON {{ }}
"""


@dataclass
class CyrusServer:
    """Cyrus IMAP 3.6 with CalDAV (Debian's cyrus-imapd + cyrus-caldav): RFC 6638 scheduling
    between local users, free/busy for other users, Basic auth. Users log in with their name
    and ``password``; their calendar-user address is ``<name>@<domain>``. The recipe is the one
    in the research notes (research/caldav.md §3.4)."""

    base: Path
    users: tuple[str, ...]
    domain: str = "mora.example"
    password: str = "cyrus-test-pass"
    port: int = field(default_factory=free_port)
    imap_port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dav/"

    def start(self) -> None:
        master = next(
            (p for p in ("/usr/lib/cyrus/bin/master", "/usr/sbin/cyrmaster") if os.path.exists(p)),
            None,
        )
        if master is None or shutil.which("saslpasswd2") is None:
            pytest.fail("Cyrus is not installed: `make test` installs cyrus-imapd and cyrus-caldav")
        base = self.base
        for sub in ("config", "spool", "run/proc", "run/lock", "run/socket"):
            (base / sub).mkdir(parents=True, exist_ok=True)
        values = {"base": base, "domain": self.domain, "port": self.port}
        (base / "imapd.conf").write_text(CYRUS_IMAPD_CONF.format(**values))
        (base / "cyrus.conf").write_text(CYRUS_CONF.format(**values, imap_port=self.imap_port))
        for user in ("cyrusadmin", *self.users):
            subprocess.run(
                ["saslpasswd2", "-p", "-c", "-f", str(base / "sasldb2"), "-u", self.domain, user],
                input=self.password.encode(),
                check=True,
            )
        subprocess.run(["chown", "-R", "cyrus:mail", str(base)], check=True)
        os.chmod(base / "sasldb2", 0o640)
        conf, services = str(base / "imapd.conf"), str(base / "cyrus.conf")
        subprocess.run(
            [master, "-C", conf, "-M", services, "-p", str(base / "master.pid"), "-d"], check=True
        )
        wait_for_port(self.port)
        wait_for_port(self.imap_port)
        self._create_inboxes()

    def _create_inboxes(self) -> None:
        """A Cyrus user needs an INBOX before CalDAV works (research/caldav.md, gotcha 3)."""
        import imaplib

        imap = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=10)
        imap.login("cyrusadmin", self.password)
        for user in self.users:
            status, data = imap.create(f"user.{user}")
            assert status == "OK", (user, data)
        imap.logout()
        for user in self.users:  # calendars are made at a user's first request
            with self.client(user) as client:
                client.get_principal().get_calendars()

    def stop(self) -> None:
        pid_file = self.base / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            pid_file.unlink(missing_ok=True)

    def client(self, user: str) -> DAVClient:
        return DAVClient(
            url=self.url,
            username=user,
            password=self.password,
            auth_type="basic",
            features="cyrus",
            timeout=10,
        )

    def calendar_url(self, user: str) -> str:
        return f"{self.url}calendars/user/{user}/Default/"

    # IMAP: the organizer's mailbox, where iMIP replies arrive (Cyrus' folders of a user are
    # below INBOX, "INBOX.Name", as many IMAP servers have them).

    def imap(self, user: str) -> Any:
        import imaplib

        imap = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=10)
        imap.login(user, self.password)
        return imap

    def deliver(self, user: str, raw: bytes) -> None:
        """A message arrives in the user's INBOX (as the mail system would put it there)."""
        import imaplib

        imap = self.imap(user)
        status, _ = imap.append("INBOX", None, imaplib.Time2Internaldate(time.time()), raw)
        imap.logout()
        assert status == "OK"

    def count(self, user: str, folder: str) -> int:
        """Messages in the folder; -1 when it does not exist."""
        imap = self.imap(user)
        status, data = imap.select(f'"{folder}"', readonly=True)
        imap.logout()
        return int(data[0] or 0) if status == "OK" else -1

    def reset_mailboxes(self) -> None:
        """Every user's mail as new: INBOX emptied, the folders below it deleted. Over IMAP, as
        a mail client would; the calendars are left as they are."""
        for user in self.users:
            imap = self.imap(user)
            status, listed = imap.list('""', '"INBOX.*"')
            assert status == "OK", listed
            folders = [_folder_name(line) for line in listed if line]
            for folder in sorted(folders, key=lambda f: -f.count(".")):  # children first
                status, data = imap.delete(f'"{folder}"')
                assert status == "OK", (user, folder, data)
            status, data = imap.select("INBOX")
            assert status == "OK", data
            if int(data[0] or 0):
                imap.store("1:*", "+FLAGS", "(\\Deleted)")
                imap.expunge()
            imap.logout()


def _folder_name(line: bytes | Any) -> str:
    """The name in an IMAP LIST answer line: ``(\\HasNoChildren) "." "INBOX.Done"``."""
    text = line.decode() if isinstance(line, bytes) else str(line)
    name = text.rsplit(" ", 1)[1] if not text.endswith('"') else text[:-1].rsplit('"', 1)[1]
    return name.strip('"')


@contextlib.contextmanager
def _running_cyrus() -> Iterator[CyrusServer]:
    import tempfile

    from invitation_data import PEOPLE

    base = Path(tempfile.mkdtemp(prefix="cy-", dir="/tmp"))  # short: unix sockets inside
    server = CyrusServer(base, ("forum", *PEOPLE))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(name="cyrus")
def cyrus_fixture() -> Iterator[CyrusServer]:
    """A Cyrus of its own for the test (calendars and mail)."""
    with _running_cyrus() as server:
        yield server


@pytest.fixture(name="cyrus_server", scope="module")
def cyrus_server_fixture() -> Iterator[CyrusServer]:
    """One Cyrus for the module (its start takes seconds: a master, a SASL user each, an
    INBOX and calendars each), for ``cyrus_mailbox_fixture``."""
    with _running_cyrus() as server:
        yield server


@pytest.fixture(name="cyrus")
def cyrus_mailbox_fixture(cyrus_server: CyrusServer) -> CyrusServer:
    """The module's Cyrus with every mailbox emptied, for modules whose tests use Cyrus as the
    IMAP mailbox and its CalDAV only to read (the calendars are not reset between tests)."""
    cyrus_server.reset_mailboxes()
    return cyrus_server
