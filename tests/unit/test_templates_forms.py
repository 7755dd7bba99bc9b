"""Every form that asks for required fields says itself what to fix: no browser bubble
("Please fill out this field") in another language than the page, no form stopped before the
server's message (novalidate wherever an input is ``required``)."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "booking"
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)


def _included(path: Path, body: str) -> str:
    """The partials a form body includes ({% include "…/_x.html" %}), from the same folder."""
    names = re.findall(r'{%\s*include\s+"[^"]*?([\w.]+\.html)"', body)
    return "".join((path.parent / n).read_text() for n in names if (path.parent / n).exists())


def _forms() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(TEMPLATES.rglob("templates/**/*.html")):
        for attrs, body in FORM.findall(path.read_text()):
            found.append((str(path.relative_to(TEMPLATES)), attrs, body + _included(path, body)))
    return found


def test_forms_were_found() -> None:
    assert len(_forms()) > 20


def test_a_form_with_required_fields_leaves_checking_to_the_server() -> None:
    browser_checked = [
        f"{name}: <form{attrs[:60]}…>"
        for name, attrs, body in _forms()
        if re.search(r"\brequired\b", body) and "novalidate" not in attrs
    ]
    assert browser_checked == []
