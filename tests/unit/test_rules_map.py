"""docs/rules.md is the map from rule to code to test: every name it gives must exist.

A rule's owner moved or renamed, or its test renamed, fails here, so the map cannot rot.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "docs" / "rules.md"
# `booking.x.y` / `booking.x.y.func` / `feeds.x` / `config.func`, optionally followed by
# bare names in the same cell: (`a`, `b`) that belong to the last named module.
DOTTED = re.compile(r"`((?:booking|feeds|config)(?:\.\w+)*)`")
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")
SIBLING_TEST = re.compile(r"`::(\w+)`")


def _rows() -> list[str]:
    return [
        line
        for line in RULES.read_text().splitlines()
        if line.startswith("| ") and "---" not in line
    ][1:]


def _resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(dotted)


def test_the_map_has_the_rules_the_issue_names() -> None:
    text = RULES.read_text().lower()
    for rule in (
        "minimum notice",
        "deputy",
        "confidential",
        "fewer than 7",
        "holiday",
        "pause",
        "next free",
    ):
        assert rule in text, rule


@pytest.mark.parametrize("row", _rows(), ids=lambda r: r[2:60])
def test_every_owner_and_test_named_exists(row: str) -> None:
    cells = row.strip("|").split("|")
    assert len(cells) == 3, row
    _rule, owner, tests = cells
    names = DOTTED.findall(owner)
    assert names or "make " in owner or "migration" in owner, f"no owner named: {row[:80]}"
    for dotted in names:
        _resolve(dotted)
    last_file: Path | None = None
    found_test = False
    for match in re.finditer(r"`(tests/[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`", tests):
        path, name, sibling = match.groups()
        if path:
            last_file = ROOT / path
            assert last_file.exists(), path
        name = name or sibling
        if name:
            assert last_file is not None, row
            assert re.search(rf"def {name}\b", last_file.read_text()), f"{last_file.name}::{name}"
        found_test = True
    assert found_test, f"no test named: {row[:80]}"
