"""The message catalogues: well-formed (a merge once left msgids without their msgstr, which
pybabel only warns about), and Swedish, the UI's first language, complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "booking" / "translations"


def _catalogue(language: str) -> Catalog:
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language, abort_invalid=True)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_catalogue_is_well_formed(language: str) -> None:
    catalogue = _catalogue(language)
    assert len(catalogue) > 100


def test_every_message_has_its_swedish_text() -> None:
    missing = [m.id for m in _catalogue("sv") if m.id and not m.string]
    assert missing == []


def test_both_catalogues_hold_the_same_messages() -> None:
    swedish = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue("sv") if m.id}
    english = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue("en") if m.id}
    assert swedish == english
