"""The SVG chart helper: accessible markup, escaped labels, missing values not drawn as 0."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from booking.web.svgchart import bar_chart, data_table

SVG = "{http://www.w3.org/2000/svg}"


def test_chart_is_valid_svg_with_title_desc_and_scaled_bars() -> None:
    rows = [("Bygg & miljö", 50.0), ("Räddning", None)]
    svg = str(bar_chart("Svarsfrekvens", "Andel <svar>", rows, unit=" %", max_value=100))
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby", "").split()
    assert root.find(f"{SVG}title").get("id") == title_id  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").get("id") == desc_id  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Andel <svar>"  # type: ignore[union-attr]
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths == [160.0, 0.0]  # half of 320; a missing value draws no bar
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Bygg & miljö", "50 %", "Räddning", "–"]


def test_data_table() -> None:
    html = str(
        data_table("Svar", ["Förvaltning", "Andel"], [["Bygg <x>", 50.5], ["Räddning", None]])
    )
    root = ET.fromstring(html)
    assert root.find("caption").text == "Svar"  # type: ignore[union-attr]
    assert [td.text for td in root.iter("td")] == ["50,5", "–"]
    assert "Bygg &lt;x&gt;" in html
