"""Languages: Swedish by default, English selectable (Flask-Babel).

Source strings in the code are English; booking/translations/sv holds the Swedish catalogue and
booking/translations/en an (almost identity) English one. ``make`` compiles the catalogues with
``pybabel compile``; :func:`ensure_compiled` does the same at start-up when a ``.mo`` file is
missing or older than its ``.po`` (a fresh checkout run straight with pytest or gunicorn).

Dates follow the Swedish convention the coordinators use: "tisdag 10 mars 2026, v. 11" and the
24-hour clock, in the forum's time zone.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, request, session
from flask_babel import Babel, format_date, get_locale, get_translations
from flask_babel import gettext as _

LANGUAGES: dict[str, str] = {"sv": "Svenska", "en": "English"}
DEFAULT_LOCALE = "sv"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"

log = logging.getLogger(__name__)


def ensure_compiled(directory: Path = TRANSLATIONS_DIR) -> None:
    """Compile every catalogue whose .mo is missing or stale; never fail the start-up."""
    for po_path in directory.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        try:
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
        except OSError as exc:  # a read-only install: `make` compiled them, or English shows
            log.warning("could not compile %s: %s", po_path, exc)


def select_locale() -> str:
    """The language chosen in this browser session, else the user's saved one, else Swedish."""
    chosen = session.get("locale")
    if chosen in LANGUAGES:
        return str(chosen)
    user = getattr(g, "user", None)
    if user is not None and user.locale in LANGUAGES:
        return str(user.locale)
    if request and request.args.get("lang") in LANGUAGES:
        return str(request.args["lang"])
    return DEFAULT_LOCALE


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LOCALE


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def forum_zone() -> ZoneInfo:
    return _zone(current_app.config["SETTINGS"].forum_timezone)


def _translations() -> Any:
    """This request's catalogue, looked up once per request (pages call gettext hundreds of
    times; Flask-Babel would resolve the locale on every call)."""
    cached = g.get("_i18n_translations")
    if cached is None:
        cached = get_translations()
        g._i18n_translations = cached
    return cached


def _jinja_gettext(message: str) -> str:
    return str(_translations().ugettext(message))


def _jinja_ngettext(singular: str, plural: str, n: int) -> str:
    return str(_translations().ungettext(singular, plural, n))


def long_date(day: date | datetime) -> str:
    """ "tisdag 10 mars 2026, v. 11" (sv) or "Tuesday 10 March 2026, week 11" (en)."""
    if isinstance(day, datetime):
        day = day.astimezone(forum_zone()).date()
    text = format_date(day, "EEEE d MMMM y")
    return str(_("%(date)s, week %(week)s", date=text, week=day.isocalendar().week))


def short_date(day: date | datetime) -> str:
    """ "tis 10 mars 2026" / "Tue 10 Mar 2026"."""
    if isinstance(day, datetime):
        day = day.astimezone(forum_zone()).date()
    return str(format_date(day, "EEE d MMM y"))


def clock_time(at: datetime) -> str:
    """24-hour local time in the forum's zone, "13:00", in every language."""
    return at.astimezone(forum_zone()).strftime("%H:%M")


def time_range(start: datetime, end: datetime) -> str:
    return f"{clock_time(start)}–{clock_time(end)}"


def local_datetime(at: datetime) -> str:
    """ "tis 10 mars 2026 13:00" for history lists and reply times."""
    return f"{short_date(at)} {clock_time(at)}"


def iso_local(text: str) -> str:
    """An ISO timestamp from the audit trail, shown like :func:`local_datetime`."""
    try:
        return local_datetime(datetime.fromisoformat(text))
    except (TypeError, ValueError):
        return str(text)


def init_app(app: Flask) -> None:
    ensure_compiled()
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["SETTINGS"].forum_timezone)
    Babel(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_jinja_gettext, ngettext=_jinja_ngettext, newstyle=True
    )
    app.jinja_env.filters.update(
        long_date=long_date,
        short_date=short_date,
        clock_time=clock_time,
        local_datetime=local_datetime,
        iso_local=iso_local,
    )
    app.jinja_env.globals.update(
        time_range=time_range, LANGUAGES=LANGUAGES, current_language=current_language
    )
