"""`flask forum check`: what an IT department runs after setting the service up. Real servers:
Cyrus (CalDAV and the organizer's IMAP mailbox) and aiosmtpd; the test database."""

from __future__ import annotations

from dataclasses import replace

from caldav_servers import (  # noqa: F401
    CyrusServer,
    SmtpSink,
    XandikosServer,
    closed_port,
    cyrus_mailbox_fixture,
    cyrus_server_fixture,
    smtp_sink_fixture,
    xandikos_fixture,
)
from flask import Flask
from sqlalchemy.orm import Session

from booking.app import create_app
from booking.clock import FixedClock
from config import Settings


def _app(settings: Settings, clock: FixedClock, **changes: object) -> Flask:
    return create_app(replace(settings, **changes), clock=clock)  # type: ignore[arg-type]


def _check(app: Flask) -> tuple[int, dict[str, str]]:
    result = app.test_cli_runner().invoke(args=["forum", "check"])
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    app.extensions["engine"].dispose()
    return result.exit_code, lines


def test_everything_reachable_says_ok(
    app: Flask, settings: Settings, clock: FixedClock, cyrus: CyrusServer, smtp_sink: SmtpSink
) -> None:
    configured = _app(
        settings,
        clock,
        caldav_url=cyrus.url,
        caldav_username="forum",
        caldav_password=cyrus.password,
        caldav_features="cyrus",
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.port,
        imap_host="127.0.0.1",
        imap_port=cyrus.imap_port,
        imap_security="none",
        imap_username="forum",
        imap_password=cyrus.password,
    )
    code, lines = _check(configured)
    assert code == 0, lines
    assert "ok" in lines["database"] and "migrations at" in lines["database"]
    assert "server schedules (RFC 6638)" in lines["caldav"]
    assert f"127.0.0.1:{smtp_sink.port} answers" in lines["smtp"]
    assert "0 message(s) waiting" in lines["imap"]


def test_what_fails_is_named_and_the_exit_code_says_so(
    app: Flask, settings: Settings, clock: FixedClock, cyrus: CyrusServer
) -> None:
    # Ports held bound but not listening while the check runs: refused, and nobody else's.
    with closed_port() as caldav_sock, closed_port() as smtp_sock:
        broken = _app(
            settings,
            clock,
            caldav_url=f"http://127.0.0.1:{caldav_sock.getsockname()[1]}/dav/",
            caldav_username="forum",
            smtp_host="127.0.0.1",
            smtp_port=smtp_sock.getsockname()[1],
            imap_host="127.0.0.1",
            imap_port=cyrus.imap_port,
            imap_security="none",
            imap_username="forum",
            imap_password="wrong",
        )
        code, lines = _check(broken)
    assert code == 1
    assert " ok " in lines["database"]
    assert "FAILED" in lines["caldav"] and "CalDAV" in lines["caldav"]
    assert "FAILED" in lines["smtp"] and "unreachable" in lines["smtp"]
    assert "FAILED" in lines["imap"] and "refused" in lines["imap"]


def test_without_servers_the_optional_parts_say_how_the_service_works(
    app: Flask, settings: Settings, clock: FixedClock, smtp_sink: SmtpSink
) -> None:
    plain = _app(settings, clock, smtp_host="127.0.0.1", smtp_port=smtp_sink.port)
    code, lines = _check(plain)
    assert code == 0
    assert "not configured" in lines["caldav"] and "e-mail" in lines["caldav"]
    assert "not configured" in lines["imap"]
    assert "not configured" in lines["sso"]


def test_a_database_behind_the_code_is_told_to_migrate(app: Flask) -> None:
    from booking.services.diagnostics import check_database

    engine = app.extensions["engine"]
    behind = check_database(engine, lambda: ("0004_invitations", "0005_followup"))
    assert (
        not behind.ok and "forum migrate" in behind.detail and "0004_invitations" in behind.detail
    )
    from booking.migrate import status

    current, head = status(engine)  # the test database is migrated to the head
    assert current == head and check_database(engine, lambda: (current, head)).ok


def test_the_report_lists_every_setting_with_secrets_masked(
    app: Flask, settings: Settings, clock: FixedClock, smtp_sink: SmtpSink
) -> None:
    from config import SECRET_MASK, SETTINGS

    configured = _app(
        settings,
        clock,
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.port,
        smtp_password="smtp-secret-word",
        caldav_password="caldav-secret-word",
        imap_password="imap-secret-word",
        survey_delay_days=4,
        reminder_working_days=(3, 1),
    )
    code, lines = _check(configured)
    assert code == 0
    report = "\n".join(lines.values())
    assert "secret-word" not in report and settings.secret_key not in report
    assert {s.name for s in SETTINGS} <= set(lines)  # one line per setting, by its variable
    assert lines["SMTP_PASSWORD"].split() == ["SMTP_PASSWORD", SECRET_MASK]
    assert lines["SECRET_KEY"].split() == ["SECRET_KEY", SECRET_MASK]
    assert lines["SURVEY_DELAY_DAYS"].split() == ["SURVEY_DELAY_DAYS", "4"]
    assert lines["REMINDER_WORKING_DAYS"].split() == ["REMINDER_WORKING_DAYS", "3,1"]
    assert lines["SMTP_PORT"].split() == ["SMTP_PORT", str(smtp_sink.port)]
    assert lines["CALDAV_URL"].split() == ["CALDAV_URL", "(empty)"]


def test_a_forum_whose_organizer_is_not_the_accounts_address_is_named(
    app: Flask,
    settings: Settings,
    clock: FixedClock,
    seeded: Session,
    xandikos: XandikosServer,
    smtp_sink: SmtpSink,
) -> None:
    """Issue 13: Forum Orsa's ORGANIZER (forum@orsa.example) is not an address of the CalDAV
    account (forum@mora.example): the server then schedules nothing and everyone is mailed."""
    xandikos.add_user("forum", "forum@mora.example")
    configured = _app(
        settings,
        clock,
        caldav_url=xandikos.url,
        caldav_username="forum",
        caldav_remote_user_header=True,
        smtp_host="127.0.0.1",
        smtp_port=smtp_sink.port,
    )
    code, lines = _check(configured)
    assert code == 1
    assert "FAILED" in lines["organizer"]
    assert "Forum Orsa: forum@orsa.example" in lines["organizer"]
    assert "Forum Mora" not in lines["organizer"]
    assert "forum@mora.example" in lines["organizer"]  # what the account's address is


def test_migrate_gathers_planner_statistics_and_check_names_tables_without(app: Flask) -> None:
    """Issue 16: a never-analysed PostgreSQL database made a 10,000-event feed 18× slower."""
    from booking.migrate import refresh_statistics, tables_never_analysed
    from booking.services.diagnostics import check_database

    engine = app.extensions["engine"]
    ran: list[bool] = []
    gathered = check_database(
        engine, lambda: ("head", "head"), lambda: ["meetings"], lambda: ran.append(True)
    )
    assert gathered.ok and ran == [True]
    assert "statistics gathered now for meetings (ANALYZE)" in gathered.detail

    def broken() -> None:
        raise RuntimeError("permission denied")

    failed = check_database(engine, lambda: ("head", "head"), lambda: ["meetings"], broken)
    assert not failed.ok and "permission denied" in failed.detail
    if engine.dialect.name == "postgresql":
        assert refresh_statistics(engine) is True
        assert tables_never_analysed(engine, min_rows=0) == []
    else:
        assert refresh_statistics(engine) is False and tables_never_analysed(engine) == []
