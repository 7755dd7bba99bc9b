"""The organizer's mailbox over IMAP: where iMIP replies from Outlook, Exchange, Thunderbird and
Apple Mail arrive when the municipality's calendars are not on the CalDAV server.

Each poll reads the messages in one folder without marking them read (``BODY.PEEK[]``), and the
service files every message it has handled into one of two folders: the replies it applied,
and the mail it did not understand (an out-of-office notice, a question typed by hand), which
a coordinator should read. Nothing is deleted; a message is moved only after its reply is
committed, so a crash in between means it is read again (and found unchanged) next time.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from booking.services.invitations.outbox import PermanentError, TransientError

# Messages handled per poll: a flood (a mailing-list loop) cannot hold the worker up.
BATCH = 50


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int = 993
    security: str = "ssl"  # ssl | starttls | none
    username: str = ""
    password: str = ""
    folder: str = "INBOX"
    done_folder: str = "Dorren-in-behandlade"
    other_folder: str = "Dorren-in-att-lasa"
    timeout: float = 20.0


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapMailbox:
    """One IMAP session; use as a context manager (it logs out on exit)."""

    def __init__(self, config: ImapConfig) -> None:
        self.config = config
        self._imap: imaplib.IMAP4 | None = None
        self._prefix = ""
        self._created: set[str] = set()

    # ------------------------------------------------------------ session

    def __enter__(self) -> ImapMailbox:
        config = self.config
        try:
            if config.security == "ssl":
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    config.host,
                    config.port,
                    ssl_context=ssl.create_default_context(),
                    timeout=config.timeout,
                )
            else:
                imap = imaplib.IMAP4(config.host, config.port, timeout=config.timeout)
                if config.security == "starttls":
                    imap.starttls(ssl.create_default_context())
        except (OSError, imaplib.IMAP4.error) as exc:
            raise TransientError(f"IMAP {config.host}:{config.port} unreachable: {exc}") from exc
        try:
            imap.login(config.username, config.password)
        except imaplib.IMAP4.error as exc:
            imap.shutdown()
            raise PermanentError(f"IMAP login as {config.username!r} refused: {exc}") from exc
        self._imap = imap
        self._prefix = self._personal_prefix(imap)
        folder = self._path(config.folder)
        self._check(imap.select(_quote(folder)), f"select {folder}")
        return self

    @staticmethod
    def _personal_prefix(imap: imaplib.IMAP4) -> str:
        """Where a user's own folders live (RFC 2342 NAMESPACE): "" on Dovecot and Exchange,
        "INBOX." on Cyrus and Courier. "" when the server does not say."""
        if "NAMESPACE" not in imap.capabilities:
            return ""
        try:
            status, data = imap.namespace()
        except imaplib.IMAP4.error:
            return ""
        raw = data[0] if status == "OK" and data else b""
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        match = re.match(r'\(\("([^"]*)" (?:"[^"]*"|NIL)\)', text)
        return match[1] if match else ""

    def _path(self, name: str) -> str:
        """A configured folder name as the server names it: INBOX as is, others in the user's
        personal namespace (unless already given with its prefix)."""
        if name.upper() == "INBOX" or not self._prefix or name.startswith(self._prefix):
            return name
        return self._prefix + name

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        imap, self._imap = self._imap, None
        if imap is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                imap.logout()

    @property
    def imap(self) -> imaplib.IMAP4:
        if self._imap is None:
            raise RuntimeError("ImapMailbox is used outside its with-block")
        return self._imap

    @staticmethod
    def _check(result: tuple[str, list[Any]], what: str) -> list[Any]:
        status, data = result
        if status != "OK":
            raise TransientError(f"IMAP {what}: {status} {data!r}")
        return data

    def waiting(self) -> int:
        """How many messages the folder holds (for `forum check`)."""
        return len(self._uids())

    def _uids(self) -> list[str]:
        data = self._check(self.imap.uid("SEARCH", "ALL"), "search")
        return [u.decode() for u in (data[0] or b"").split()] if data else []

    # ------------------------------------------------------------ the port (services.rsvp)

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """(uid, raw message) of the folder's messages, oldest first, at most BATCH."""
        try:
            for uid in self._uids()[:BATCH]:
                fetched = self._check(self.imap.uid("FETCH", uid, "(BODY.PEEK[])"), "fetch")
                raw = next(
                    (part[1] for part in fetched if isinstance(part, tuple) and len(part) == 2),
                    None,
                )
                if isinstance(raw, bytes):
                    yield uid, raw
        except (OSError, imaplib.IMAP4.abort) as exc:
            raise TransientError(f"IMAP connection lost: {exc}") from exc

    def file(self, uid: str, understood: bool) -> None:
        """Move the message out of the folder: into the done folder, or (not understood) into
        the folder a person reads."""
        target = self._path(self.config.done_folder if understood else self.config.other_folder)
        self._ensure_folder(target)
        imap = self.imap
        try:
            if "MOVE" in imap.capabilities:
                self._check(imap.uid("MOVE", uid, _quote(target)), f"move to {target}")
                return
            self._check(imap.uid("COPY", uid, _quote(target)), f"copy to {target}")
            self._check(imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), "flag")
            if "UIDPLUS" in imap.capabilities:
                self._check(imap.uid("EXPUNGE", uid), "expunge")
            else:
                self._check(imap.expunge(), "expunge")
        except (OSError, imaplib.IMAP4.abort) as exc:
            raise TransientError(f"IMAP connection lost: {exc}") from exc

    def _ensure_folder(self, name: str) -> None:
        if name in self._created:
            return
        status, data = self.imap.create(_quote(name))
        # An existing folder is fine: servers answer NO with [ALREADYEXISTS] or in words.
        if status != "OK" and not re.search(
            rb"ALREADYEXISTS|already exists",
            b" ".join(d for d in data if isinstance(d, bytes)),
            re.IGNORECASE,
        ):
            raise TransientError(f"IMAP create {name}: {status} {data!r}")
        self._created.add(name)
