"""Server-side SVG bar charts: no CDN, no JavaScript, readable by screen readers.

Each chart is an <svg role="img"> with <title> and <desc> (aria-labelledby both) and is meant
to be shown next to a data table with the same figures (`data_table`), which is what a screen
reader user or a printout relies on. Missing values (e.g. a suppressed NKI) are drawn as an
empty row labelled "–" instead of a zero bar, so nobody reads them as 0.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

_ids = itertools.count(1)

ROW_HEIGHT = 28
CHAR_WIDTH = 7.2  # average width of a 13px sans-serif character, for the label column
BAR_WIDTH = 320
VALUE_WIDTH = 70


def sv_number(value: object) -> str:
    """Swedish decimal comma (66,7); None as "–"; other values as they are."""
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{int(value)}" if value == int(value) else f"{value:.1f}".replace(".", ",")
    return str(value)


def _fmt(value: float | None, unit: str) -> str:
    return "–" if value is None else f"{sv_number(float(value))}{unit}"


def bar_chart(
    title: str,
    desc: str,
    rows: Sequence[tuple[str, float | None]],
    *,
    unit: str = "",
    max_value: float | None = None,
) -> Markup:
    """A horizontal bar chart; `max_value` fixes the scale (e.g. 100 for percentages and NKI)."""
    n = next(_ids)
    top = max_value or max((v for _, v in rows if v is not None), default=0) or 1
    height = ROW_HEIGHT * max(len(rows), 1) + 8
    label_width = int(max((len(label) for label, _ in rows), default=10) * CHAR_WIDTH) + 16
    width = label_width + BAR_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-labelledby="chart{n}-title chart{n}-desc" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="chart{n}-title">{escape(title)}</title>',
        f'<desc id="chart{n}-desc">{escape(desc)}</desc>',
    ]
    for i, (label, value) in enumerate(rows):
        y = 4 + i * ROW_HEIGHT
        mid = y + ROW_HEIGHT / 2 + 5
        bar = 0.0 if value is None else max(0.0, min(value / top, 1.0)) * BAR_WIDTH
        parts.append(
            f'<text x="{label_width - 8}" y="{mid:.1f}" text-anchor="end" '
            f'class="chart-label">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{bar:.1f}" height="{ROW_HEIGHT - 8}" '
            f'class="chart-bar" fill="#1f5f8b"/>'
        )
        parts.append(
            f'<text x="{label_width + bar + 6:.1f}" y="{mid:.1f}" class="chart-value">'
            f"{escape(_fmt(value, unit))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def data_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> Markup:
    """The figures behind a chart as an ordinary table (None shows as "–")."""
    head = "".join(f'<th scope="col">{escape(str(h))}</th>' for h in headers)
    body = []
    for row in rows:
        cells = [
            f'<th scope="row">{escape(str(row[0]))}</th>',
            *(f"<td>{escape(sv_number(v))}</td>" for v in row[1:]),
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    return Markup(
        f'<table class="data-table"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
