"""Print the README's table of settings, generated from config.SETTINGS.

    .venv/bin/python tools/settings_table.py           print the Markdown table
    .venv/bin/python tools/settings_table.py --write   put it into README.md between
                                                       <!-- settings-table --> and
                                                       <!-- /settings-table -->

tests/unit/test_settings_schema.py fails when the README's table differs from this one.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import settings_table  # noqa: E402

README = ROOT / "README.md"
START, END = "<!-- settings-table -->", "<!-- /settings-table -->"


def readme_table(text: str) -> str:
    """The part of the README between the markers (without them)."""
    _head, sep, rest = text.partition(START)
    table, sep2, _ = rest.partition(END)
    if not sep or not sep2:
        raise SystemExit(f"README.md has no {START} ... {END} markers")
    return table.strip("\n") + "\n"


def with_table(text: str, table: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table}{END}{tail}"


def main(argv: list[str]) -> int:
    table = settings_table()
    if "--write" in argv:
        README.write_text(with_table(README.read_text(encoding="utf-8"), table), encoding="utf-8")
    else:
        sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
