"""Mail texts as templates: one Jinja2 template per mail and language, next to its feature.

``booking/services/<feature>/templates/<name>.<lang>.txt`` holds the whole mail in blocks:
``subject`` (one line), ``text`` (the text/plain body) and, where the mail has one, ``html``.
A service gathers plain values (strings, numbers, lists) and calls ``render``; the wording
lives in the template only. Plain text, so no autoescaping; an ``html`` block escapes each
value itself with the ``h`` (or ``hbr``: line breaks kept) filter or builds its page from the
text with ``html_page``. An undefined name is
an error (StrictUndefined), never an empty string. The mails are Swedish first with the English
in brackets, in one text: ``sv`` is their language; another language is a file beside it.
No Flask here: services render mail in the worker and in use cases alike.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, PrefixLoader, StrictUndefined

SERVICES = Path(__file__).resolve().parent.parent
# The features whose mails are templates.
FEATURES = ("invitations", "followup", "intake", "preparation")
SUFFIX = ".txt"
DEFAULT_LANGUAGE = "sv"


def template_dir(feature: str) -> Path:
    return SERVICES / feature / "templates"


def h(value: object) -> str:
    """HTML-escape one value (quotes too), as the mails' HTML parts always have."""
    return html.escape(str(value))


def hbr(value: object) -> str:
    """HTML-escape one value and keep its line breaks (<br>)."""
    return h(value).replace("\n", "<br>")


def html_page(body: str, link: str = "", link_label: str = "", lang: str = "sv") -> str:
    """A text body as a small HTML page: one <p> per paragraph (blank-line separated), line
    breaks as <br>, and the link, when there is one, as an anchor named ``link_label``."""
    paragraphs = body.split("\n\n")
    page = "".join(f"<p>{hbr(p)}</p>" for p in paragraphs)
    if link:
        page += f'<p><a href="{h(link)}">{h(link_label or link)}</a></p>'
    return f'<!doctype html><html lang="{h(lang)}"><body>{page}</body></html>'


ENVIRONMENT = Environment(
    loader=PrefixLoader({f: FileSystemLoader(template_dir(f)) for f in FEATURES}),
    undefined=StrictUndefined,
    autoescape=False,  # text/plain; the html blocks escape explicitly
    trim_blocks=True,  # a line holding only a {% tag %} leaves no empty line behind
    lstrip_blocks=True,
    keep_trailing_newline=False,
    auto_reload=False,
)
ENVIRONMENT.filters["h"] = h
ENVIRONMENT.filters["hbr"] = hbr
ENVIRONMENT.filters["html_page"] = html_page


@dataclass(frozen=True)
class MailText:
    subject: str
    text: str
    html: str = ""


def render(name: str, lang: str = DEFAULT_LANGUAGE, /, **context: Any) -> MailText:
    """Render the mail ``<feature>/<name>`` (e.g. ``invitations/reminder``) in ``lang``.

    Each block is returned as the template writes it (a block ends with ``{%- endblock %}``:
    a mail ends without a newline); the html is "" when the template has no ``html`` block.
    """
    template = ENVIRONMENT.get_template(f"{name}.{lang}{SUFFIX}")
    ctx = template.new_context(context)

    def block(block_name: str) -> str:
        if block_name not in template.blocks:
            return ""
        return "".join(template.blocks[block_name](ctx))

    return MailText(block("subject"), block("text"), block("html"))


def template_names() -> list[str]:
    """Every mail template as ``<feature>/<name>.<lang>`` (for the golden tests)."""
    return sorted(
        f"{feature}/{path.name.removesuffix(SUFFIX)}"
        for feature in FEATURES
        for path in template_dir(feature).glob(f"*{SUFFIX}")
    )
