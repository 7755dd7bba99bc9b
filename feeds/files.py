"""Feed bodies as files, so gunicorn can send them with sendfile(2), as nginx does.

A 1,000-event feed is ~750 kB; copying it through Python for every full response costs more
than the rest of the request. Each body (plain and gzip) is written once per ETag into a
private directory (0700) and handed to the server's ``wsgi.file_wrapper``. The file name is the
ETag, so workers share the files and a changed feed never reuses an old one. Best effort: any
file-system problem falls back to sending the bytes.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO

MIN_SIZE = 64 * 1024


class BodyFiles:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = (
            directory or Path(tempfile.gettempdir()) / f"dorren-in-feeds-{os.geteuid()}"
        )
        self._known: dict[str, str] = {}  # feed key -> etag whose files this process wrote
        self._lock = threading.Lock()

    def open(self, feed_key: str, etag: str, gzipped: bool, data: bytes) -> BinaryIO | None:
        if len(data) < MIN_SIZE:
            return None
        try:
            path = self._ensure(feed_key, etag, gzipped, data)
            return path.open("rb")
        except OSError:
            return None

    def _ensure(self, feed_key: str, etag: str, gzipped: bool, data: bytes) -> Path:
        name = etag.strip('"') + (".ics.gz" if gzipped else ".ics")
        path = self.directory / name
        if not path.exists() or path.stat().st_size != len(data):
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        with self._lock:
            old = self._known.get(feed_key)
            self._known[feed_key] = etag
        if old is not None and old != etag:  # the feed changed: drop its previous files
            for suffix in (".ics", ".ics.gz"):
                with contextlib.suppress(OSError):
                    (self.directory / (old.strip('"') + suffix)).unlink()
        return path
