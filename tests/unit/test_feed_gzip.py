"""The feed's gzip made chunk by chunk (booking.services.feeds.zipped), without a database."""

from __future__ import annotations

import gzip
import hashlib
import zlib

import pytest

from booking.ical.feed import TAIL, FeedHeader, assemble, calendar_head
from booking.services.feeds import zipped

HEAD = calendar_head(FeedHeader("Forum – Åsa Öberg", "Forummöten för Åsa Öberg"))


def _piece(i: int, text: str = "Sammanträdesrum") -> bytes:
    return f"BEGIN:VEVENT\r\nUID:m-{i}@forum.test\r\nLOCATION:{text} {i}\r\nEND:VEVENT\r\n".encode()


def _digest(piece: bytes) -> str:
    return hashlib.blake2b(piece, digest_size=8).hexdigest()


def _zip(pieces: list[bytes]) -> tuple[bytes, bytes]:
    body = assemble(HEAD, pieces)
    return body, zipped.gzip_feed(HEAD, pieces, [_digest(p) for p in pieces], TAIL, body)


@pytest.fixture
def compressed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A fresh chunk memory; the sizes of the pieces of data this test compresses."""
    monkeypatch.setattr(zipped, "_chunks", zipped._ChunkMemory())
    sizes: list[int] = []
    real = zipped._deflated

    def counting(data: bytes, *, final: bool = False) -> bytes:
        if not final:
            sizes.append(len(data))
        return real(data, final=final)

    monkeypatch.setattr(zipped, "_deflated", counting)
    return sizes


def test_the_gzip_is_one_member_that_unpacks_to_the_assembled_body(compressed: list[int]) -> None:
    body, data = _zip([_piece(i) for i in range(1000)])
    assert gzip.decompress(data) == body
    reader = zlib.decompressobj(zlib.MAX_WBITS | 16)  # gzip, one member
    assert reader.decompress(data) == body and reader.eof and reader.unused_data == b""
    # Chunks of about CHUNK_EVENTS events, plus the head: not one event at a time.
    assert 1 + 1000 // (4 * zipped.CHUNK_EVENTS) < len(compressed) < 1000 // 10


def test_a_change_compresses_only_the_chunk_it_is_in(compressed: list[int]) -> None:
    pieces = [_piece(i) for i in range(1000)]
    _zip(pieces)
    compressed.clear()
    pieces[500] = _piece(500, "Stora salen")
    body, data = _zip(pieces)
    assert gzip.decompress(data) == body
    # One chunk again, or two when the changed event's new digest cuts its chunk in two.
    assert 1 <= len(compressed) <= 2 and sum(compressed) < len(body) // 5


def test_an_event_added_first_leaves_the_later_chunks_as_they_were(
    compressed: list[int],
) -> None:
    pieces = [_piece(i) for i in range(1, 1000)]
    _zip(pieces)
    compressed.clear()
    body, data = _zip([_piece(0), *pieces])
    assert gzip.decompress(data) == body
    assert 1 <= len(compressed) <= 2


def test_an_empty_feed_is_the_head_and_the_tail() -> None:
    body, data = _zip([])
    assert body == HEAD + TAIL and gzip.decompress(data) == body
