"""Helpers shared by the web UI tests (imported as a plain module: tests/ has no packages)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

from flask.testing import FlaskClient


def text_of(html: str) -> str:
    """The page's visible text, whitespace collapsed (good enough to assert on)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def page_text(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return text_of(response.get_data(as_text=True))


LoginAs = Callable[[str], FlaskClient]
