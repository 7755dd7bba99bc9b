"""`flask forum check`: is every part the service depends on reachable and set up?

For the IT department setting the service up or after a change: the database (and whether
its migrations are at the code's head), the CalDAV server (login, the organizer's calendar,
scheduling), the SMTP server (login), the organizer's mailbox (login, folder) and the identity
provider of single sign-on (its discovery document). Each check
says what it found or what failed, in words an operator can act on. The servers are reached
through the same ports the worker uses (the composition root passes them in).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, text


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


class CalendarCheckPort(Protocol):
    def calendar_url(self) -> str: ...

    def supports_scheduling(self) -> bool: ...

    def own_addresses(self) -> list[str]: ...


class MailCheckPort(Protocol):
    def check(self) -> str: ...


class SsoCheckPort(Protocol):
    def metadata(self) -> dict[str, Any]: ...


def check_database(
    engine: Engine,
    migration_status: Callable[[], tuple[str | None, str]],
    never_analysed: Callable[[], list[str]] = list,
    analyse: Callable[[], object] = lambda: None,
) -> Check:
    """Reachable, migrated to the code's head, and with planner statistics: tables of some
    size that were never analysed get ANALYZE now (without statistics a large feed rebuild
    took 18 times as long; issue 16)."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current, head = migration_status()
        unanalysed = never_analysed()
    except Exception as exc:  # any driver error: say it, do not crash the report
        return Check("database", False, f"{where}: {exc}")
    if current != head:
        return Check(
            "database",
            False,
            f"{where}: migrations at {current or 'none'}, the code needs {head}: "
            "run `flask --app wsgi forum migrate`",
        )
    if unanalysed:
        try:
            analyse()
        except Exception as exc:
            return Check(
                "database",
                False,
                f"{where}: no planner statistics for {', '.join(unanalysed)}, and ANALYZE "
                f"failed ({exc}): large feeds and proposals are many times slower without them",
            )
        return Check(
            "database",
            True,
            f"{where}, migrations at {head}; planner statistics gathered now for "
            f"{', '.join(unanalysed)} (ANALYZE)",
        )
    return Check("database", True, f"{where}, migrations at {head}")


def check_calendar(factory: Callable[[], CalendarCheckPort | None]) -> Check:
    gateway = factory()
    if gateway is None:
        return Check("caldav", True, "not configured (CALDAV_URL empty): invitations by e-mail")
    try:
        url = gateway.calendar_url()
        scheduling = gateway.supports_scheduling()
    except Exception as exc:
        return Check("caldav", False, str(exc))
    finally:
        close = getattr(gateway, "close", None)
        if callable(close):
            close()
    how = "server schedules (RFC 6638)" if scheduling else "no scheduling: attendees get e-mail"
    return Check("caldav", True, f"organizer calendar {url}; {how}")


def check_organizers(
    factory: Callable[[], CalendarCheckPort | None], organizers: dict[str, str]
) -> Check:
    """Each forum's ORGANIZER (``organizers``: forum name → address) must be an address of the
    CalDAV account: otherwise the server schedules nothing for that forum and every attendee
    is mailed instead, without an error anywhere."""
    gateway = factory()
    if gateway is None:
        return Check("organizer", True, "no CalDAV server: invitations go by e-mail")
    try:
        own = {a.lower() for a in gateway.own_addresses()}
    except Exception as exc:
        return Check("organizer", False, str(exc))
    finally:
        close = getattr(gateway, "close", None)
        if callable(close):
            close()
    if not own:
        return Check("organizer", True, "the server does not list the account's addresses")
    wrong = {
        forum: address
        for forum, address in organizers.items()
        if address.strip().lower().removeprefix("mailto:") not in own
    }
    if wrong:
        listed = "; ".join(f"{forum}: {address}" for forum, address in sorted(wrong.items()))
        return Check(
            "organizer",
            False,
            f"not an address of the CalDAV account ({', '.join(sorted(own))}): {listed}. "
            "The server schedules nothing for these forums; set the forum's organizer address "
            "to one of the account's, or add the address to the account",
        )
    return Check("organizer", True, f"every forum's organizer is {', '.join(sorted(own))}")


def check_mail(mailer: MailCheckPort) -> Check:
    try:
        return Check("smtp", True, mailer.check())
    except Exception as exc:
        return Check("smtp", False, str(exc))


def check_mailbox(factory: Callable[[], AbstractContextManager[Any]] | None) -> Check:
    if factory is None:
        return Check("imap", True, "not configured (IMAP_HOST empty): replies by CalDAV or link")
    try:
        with factory() as mailbox:
            waiting = mailbox.waiting()
    except Exception as exc:
        return Check("imap", False, str(exc))
    return Check("imap", True, f"organizer's mailbox open, {waiting} message(s) waiting")


def check_sso(provider: SsoCheckPort | None) -> Check:
    """The identity provider answers with its discovery document, under the configured issuer."""
    if provider is None:
        return Check("sso", True, "not configured (OIDC_ISSUER empty): passwords only")
    try:
        metadata = provider.metadata()
    except Exception as exc:  # SsoRefused (wrong issuer, unreachable) or anything else
        return Check("sso", False, str(exc))
    logout = "with" if metadata.get("end_session_endpoint") else "without"
    return Check(
        "sso", True, f"identity provider {metadata.get('issuer')} ({logout} end_session_endpoint)"
    )
