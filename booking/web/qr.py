"""A QR code of a link as inline SVG (segno), so a representative can subscribe from a phone
by pointing its camera at the hand-out page. The SVG carries a title; the page shows the link
as text beside it for everyone who cannot use the code."""

from __future__ import annotations

import io

import segno
from markupsafe import Markup


def qr_svg(link: str, title: str) -> Markup:
    code = segno.make(link, error="m")
    out = io.BytesIO()
    code.save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title=title)
    svg = out.getvalue().decode()
    return Markup(svg.replace("<svg ", '<svg role="img" focusable="false" ', 1))
