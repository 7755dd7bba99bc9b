"""All settings, read from the environment in one place.

Every setting has a documented default (README, "Configuration"). Outside development
and tests a missing SECRET_KEY stops the start-up instead of running with a guessable key.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _default_public_base_url(fallback: str) -> str:
    """Where the server itself listens (HOST/PORT, as `make run` binds it), when
    PUBLIC_BASE_URL is not set: links in mails, feeds and invitations then point at the port
    the server really uses. A wildcard bind address is reached through 127.0.0.1."""
    host, port = _env("HOST"), _env("PORT")
    if not host and not port:
        return fallback
    if not port.isdigit() and port:
        raise ConfigError(f"PORT must be a port number, got {port!r}")
    host = host or "127.0.0.1"
    if host in {"0.0.0.0", "::", "[::]"}:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"http://{host}:{port or 8000}"


# The development default: public (it is in this file), so never accepted in production.
DEV_SECRET_KEY = "dev-only-not-secret"
MIN_SECRET_KEY_BYTES = 32


def _check_production_secret(secret: str) -> None:
    """SECRET_KEY signs sessions and CSRF tokens and derives every link token: in production
    it must be long and random, never the public default or a short word."""
    if secret == DEV_SECRET_KEY:
        raise ConfigError(
            "SECRET_KEY is the public development default; set a random one in production, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )
    if len(secret.encode()) < MIN_SECRET_KEY_BYTES:
        raise ConfigError(
            f"SECRET_KEY is too short for production ({len(secret.encode())} bytes; at least "
            f"{MIN_SECRET_KEY_BYTES}); generate one with "
            'python -c "import secrets; print(secrets.token_urlsafe(48))"'
        )


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    secret_key: str = DEV_SECRET_KEY
    database_url: str = f"sqlite:///{BASE_DIR / 'var' / 'booking.sqlite3'}"
    forum_timezone: str = "Europe/Stockholm"
    public_base_url: str = "http://127.0.0.1:8000"
    session_horizon_months: int = 18
    min_notice_working_days: int = 5
    # feeds
    feed_refresh_minutes: int = 60
    feed_window_days_back: int = 60
    feed_window_months_ahead: int = 18
    feed_cancelled_keep_days: int = 30
    feed_listen: bool = True
    # CalDAV (empty URL: invitations go by e-mail only)
    caldav_url: str = ""
    caldav_username: str = ""
    caldav_password: str = ""
    caldav_features: str = ""
    caldav_remote_user_header: bool = False
    organizer_email: str = "forum@dorren-in.example"
    # SMTP
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "Dörren in <forum@dorren-in.example>"
    # the accessibility statement (tillgänglighetsredogörelse, issue 15)
    accessibility_contact: str = "forum@dorren-in.example"
    accessibility_owner: str = "Mora kommun"
    accessibility_assessed: str = "2026-12-05"
    # The organizer's mailbox, where iMIP replies from Outlook, Exchange and others arrive
    # (empty host: not read; replies come by CalDAV, the RSVP link or `forum import-imip`).
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = "ssl"  # ssl | starttls | none (none only on 127.0.0.1)
    imap_username: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    imap_done_folder: str = "Dorren-in-behandlade"
    imap_other_folder: str = "Dorren-in-att-lasa"
    # worker
    rsvp_sync_seconds: int = 60
    caldav_sync_seconds: int = 5
    reminder_working_days: tuple[int, ...] = (5, 2)
    deputy_on_decline: bool = True
    # invitations (issue 5): the organizer's calendar (discovered when empty), outbox retries
    caldav_calendar_url: str = ""
    worker_poll_seconds: int = 2
    outbox_lease_seconds: int = 300
    outbox_max_attempts: int = 12
    # follow-through
    survey_delay_days: int = 3
    survey_scale: int = 6
    retention_years: int = 0
    followup_reminder_days: tuple[int, ...] = (7, 1)
    # arriving prepared: the agenda of a forum afternoon goes out N working days before it
    agenda_working_days: int = 2
    # web security
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    # single sign-on with the municipality's identity provider (OpenID Connect; empty issuer: off)
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid email profile"
    oidc_groups_claim: str = "groups"
    local_passwords: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"


# ---------------------------------------------------------------- the schema

SettingValue = str | int | bool | tuple[int, ...]

TYPE_NAMES: dict[type, str] = {
    str: "text",
    int: "integer",
    bool: "true/false",
    tuple: "integers, comma-separated",
}
SECRET_MASK = "********"


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, type, default and what it means.

    ``type`` is str, int, bool or tuple (a comma-separated list of integers). ``field`` is the
    Settings attribute (the variable's name in lower case unless given). ``shown_default`` is
    the README's text for a default that depends on the machine. ``secret``: masked in
    ``flask forum check``."""

    name: str
    type: type
    default: SettingValue
    help: str
    secret: bool = False
    choices: tuple[str, ...] = ()
    field: str = ""
    shown_default: str = ""
    bounds: tuple[int, int] | None = None  # an integer's lowest and highest allowed value

    @property
    def attr(self) -> str:
        return self.field or self.name.lower()

    def parse(self, raw: str) -> SettingValue:
        """The value of the variable's text ``raw`` (already stripped); the default when empty."""
        if not raw:
            return self.default
        if self.type is int:
            try:
                number = int(raw)
            except ValueError as exc:
                raise ConfigError(f"{self.name} must be an integer, got {raw!r}") from exc
            if self.bounds and not self.bounds[0] <= number <= self.bounds[1]:
                low, high = self.bounds
                raise ConfigError(f"{self.name} must be from {low} to {high}, got {number}")
            return number
        if self.type is bool:
            lowered = raw.lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ConfigError(f"{self.name} must be true or false, got {raw!r}")
        if self.type is tuple:
            try:
                return tuple(int(part) for part in raw.split(",") if part.strip())
            except ValueError as exc:
                raise ConfigError(
                    f"{self.name} must be a comma-separated list of integers"
                ) from exc
        if self.choices and raw not in self.choices:
            *first, last = self.choices
            raise ConfigError(f"{self.name} must be {', '.join(first)} or {last}")
        return raw

    def text(self, value: object) -> str:
        """``value`` as it is written in the environment."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, tuple):
            return ",".join(str(part) for part in value)
        return str(value)

    def shown(self, value: object) -> str:
        """``value`` for a report: a secret that is set is masked."""
        if self.secret and value:
            return SECRET_MASK
        if value == "":
            return "(empty)"
        # A password inside a URL (DATABASE_URL=postgresql://user:password@host/db).
        return re.sub(r"(://[^:/@]*):[^@/]*@", rf"\1:{SECRET_MASK}@", self.text(value))


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "APP_ENV",
        str,
        "development",
        "`development`, `test` or `production` (production requires `SECRET_KEY` and sets "
        "Secure cookies)",
        choices=("development", "test", "production"),
        field="env",
    ),
    Setting(
        "SECRET_KEY",
        str,
        DEV_SECRET_KEY,
        "signs sessions and CSRF tokens and derives link tokens; **required** in production: "
        "at least 32 bytes and not the development default "
        '(`python -c "import secrets; print(secrets.token_urlsafe(48))"`)',
        secret=True,
        shown_default="dev-only value",
    ),
    Setting(
        "DATABASE_URL",
        str,
        f"sqlite:///{BASE_DIR / 'var' / 'booking.sqlite3'}",
        "SQLAlchemy URL; production: `postgresql://user:pass@host/db` (psycopg 3)",
        shown_default="`sqlite:///<repo>/var/booking.sqlite3`",
    ),
    Setting("FORUM_TIMEZONE", str, "Europe/Stockholm", "local time of the forums"),
    Setting(
        "PUBLIC_BASE_URL",
        str,
        "http://127.0.0.1:8000",
        "absolute URL used in feeds, invitations and e-mails; when not set, it follows "
        "`HOST` and `PORT` (where `make run` binds the server) if those are set",
    ),
    Setting("SESSION_HORIZON_MONTHS", int, 18, "how far ahead sessions are materialised"),
    Setting(
        "MIN_NOTICE_WORKING_DAYS", int, 5, "earliest bookable slot, in working days from today"
    ),
    Setting("FEED_REFRESH_MINUTES", int, 60, "REFRESH-INTERVAL / X-PUBLISHED-TTL of the feeds"),
    Setting("FEED_WINDOW_DAYS_BACK", int, 60, "how far back feeds reach"),
    Setting("FEED_WINDOW_MONTHS_AHEAD", int, 18, "how far ahead feeds reach"),
    Setting(
        "FEED_CANCELLED_KEEP_DAYS",
        int,
        30,
        "cancelled meetings stay in feeds (STATUS:CANCELLED) this long",
    ),
    Setting(
        "FEED_LISTEN",
        bool,
        True,
        "PostgreSQL only: each worker keeps the feed versions it read and PostgreSQL tells it "
        "(LISTEN/NOTIFY) which feed changed, so a poll of an unchanged feed needs no database "
        "round trip (LISTEN needs a direct connection or session pooling, not a pooler in "
        "transaction mode); false: every poll reads the database",
    ),
    Setting(
        "CALDAV_URL",
        str,
        "",
        "the municipality's CalDAV server; empty: invitations by e-mail (iMIP) only",
    ),
    Setting("CALDAV_USERNAME", str, "", "the service's organizer account"),
    Setting("CALDAV_PASSWORD", str, "", "its password", secret=True),
    Setting(
        "CALDAV_FEATURES",
        str,
        "",
        "caldav compatibility profile (`cyrus`, `nextcloud`, `sogo`, …)",
    ),
    Setting(
        "CALDAV_CALENDAR_URL",
        str,
        "",
        "the organizer's calendar collection (default: found through the principal)",
    ),
    Setting(
        "CALDAV_REMOTE_USER_HEADER",
        bool,
        False,
        "authenticate with `X-Remote-User` (local Xandikos demo only)",
    ),
    Setting(
        "ORGANIZER_EMAIL",
        str,
        "forum@dorren-in.example",
        "ORGANIZER of the invitations when a forum has none",
    ),
    Setting("SMTP_HOST", str, "127.0.0.1", "mail server for iMIP and notifications"),
    Setting("SMTP_PORT", int, 8025, "its port"),
    Setting("SMTP_USERNAME", str, "", "SMTP login (empty: none)"),
    Setting("SMTP_PASSWORD", str, "", "SMTP password", secret=True),
    Setting("SMTP_STARTTLS", bool, False, "STARTTLS before the login"),
    Setting(
        "IMAP_HOST",
        str,
        "",
        "the organizer's mailbox, where iMIP replies from Outlook/Exchange arrive; the worker "
        "reads it (empty: off)",
    ),
    Setting("IMAP_PORT", int, 993, "its port"),
    Setting(
        "IMAP_SECURITY",
        str,
        "ssl",
        "`ssl`, `starttls` or `none` (`none` only on 127.0.0.1 in production)",
        choices=("ssl", "starttls", "none"),
    ),
    Setting("IMAP_USERNAME", str, "", "login to that mailbox"),
    Setting("IMAP_PASSWORD", str, "", "its password", secret=True),
    Setting("IMAP_FOLDER", str, "INBOX", "where replies wait"),
    Setting("IMAP_DONE_FOLDER", str, "Dorren-in-behandlade", "where applied replies are moved"),
    Setting(
        "IMAP_OTHER_FOLDER",
        str,
        "Dorren-in-att-lasa",
        "where mail the service did not understand is moved for a person to read",
    ),
    Setting("MAIL_FROM", str, "Dörren in <forum@dorren-in.example>", "sender of every e-mail"),
    Setting(
        "ACCESSIBILITY_CONTACT",
        str,
        "forum@dorren-in.example",
        "where the accessibility statement tells people to report a shortcoming",
    ),
    Setting(
        "ACCESSIBILITY_OWNER",
        str,
        "Mora kommun",
        "who is responsible for the service in the accessibility statement",
    ),
    Setting(
        "ACCESSIBILITY_ASSESSED",
        str,
        "2026-12-05",
        "date of the latest accessibility assessment (YYYY-MM-DD), shown in the statement",
    ),
    Setting("WORKER_POLL_SECONDS", int, 2, "how often the worker looks for due work"),
    Setting(
        "OUTBOX_LEASE_SECONDS",
        int,
        300,
        "a claimed outbox message returns to the queue after this long (killed worker)",
    ),
    Setting(
        "OUTBOX_MAX_ATTEMPTS",
        int,
        12,
        "delivery attempts (exponential backoff) before a message is marked failed",
    ),
    Setting(
        "RSVP_SYNC_SECONDS",
        int,
        60,
        "how often the worker reads iMIP answers from the organizer's mailbox (IMAP)",
    ),
    Setting(
        "CALDAV_SYNC_SECONDS",
        int,
        5,
        "how often the worker asks the CalDAV server what changed in the organizer's calendar "
        "(one sync-token REPORT, a few hundred bytes when nothing changed), so an answer given "
        "in a calendar shows within seconds",
    ),
    Setting(
        "REMINDER_WORKING_DAYS",
        tuple,
        (5, 2),
        "reminders to those who have not replied, working days before the meeting",
    ),
    Setting("DEPUTY_ON_DECLINE", bool, True, "a decline invites the department's deputy"),
    Setting("SURVEY_DELAY_DAYS", int, 3, "NKI survey sent this many days after the meeting"),
    Setting("SURVEY_SCALE", int, 6, "answer scale of the survey (1–k)"),
    Setting(
        "FOLLOWUP_REMINDER_DAYS",
        tuple,
        (7, 1),
        "reminders to the owner of a follow-up point, days before its due date",
    ),
    Setting(
        "AGENDA_WORKING_DAYS",
        int,
        2,
        "the agenda (dagordning) of a forum afternoon is mailed to every attending "
        "representative this many Swedish working days before it (0: on the day; 0–20)",
        bounds=(0, 20),
    ),
    Setting(
        "RETENTION_YEARS",
        int,
        0,
        "remove personal data of cases closed more than N years ago (0: off)",
    ),
    Setting(
        "LOGIN_MAX_FAILURES",
        int,
        5,
        "login lockout: at most this many guesses are checked per account, even when sent at "
        "once; every failed login gets the same answer (a per-address limit, 10 attempts in "
        "5 minutes, is counted in the database, shared by every worker and node)",
    ),
    Setting("LOGIN_LOCKOUT_MINUTES", int, 15, "how long a locked account stays locked"),
    Setting(
        "OIDC_ISSUER",
        str,
        "",
        "single sign-on: the identity provider's issuer URL (OpenID Connect; its "
        "`/.well-known/openid-configuration` is read); empty: off. Register the redirect URI "
        "`PUBLIC_BASE_URL/login/oidc/callback`",
    ),
    Setting("OIDC_CLIENT_ID", str, "", "the client (application) id registered there"),
    Setting("OIDC_CLIENT_SECRET", str, "", "its client secret", secret=True),
    Setting(
        "OIDC_SCOPES",
        str,
        "openid email profile",
        "scopes asked for, space-separated (`openid` is always asked for); add `groups` where "
        "the provider sends the groups claim only for that scope",
    ),
    Setting(
        "OIDC_GROUPS_CLAIM",
        str,
        "groups",
        "the ID token claim holding the user's groups (Entra ID: `groups`, object ids or names; "
        "Keycloak: the group mapper's claim name), matched by the rules on /admin/sso",
    ),
    Setting(
        "LOCAL_PASSWORDS",
        bool,
        True,
        "`on`: staff may log in with a password kept here; `off`: the password form is hidden "
        "and password logins refused (only with `OIDC_ISSUER` set); link tokens and API "
        "tokens keep working",
    ),
)


def _check_schema() -> None:
    """The schema and the Settings dataclass declare the same settings with the same defaults
    (checked on import: a setting added to one and not the other stops the start-up)."""
    defaults = Settings()
    fields = {f.name for f in dataclasses.fields(Settings)} - {"extra"}
    declared = [s.attr for s in SETTINGS]
    if set(declared) != fields or len(declared) != len(fields):
        raise ConfigError(f"config.SETTINGS and Settings differ: {set(declared) ^ fields}")
    for setting in SETTINGS:
        if getattr(defaults, setting.attr) != setting.default:
            raise ConfigError(f"{setting.name}: the default differs from Settings'")


_check_schema()


def load_settings() -> Settings:
    """Read every setting of SETTINGS from the environment; raise ConfigError on a bad one."""
    values = {s.attr: s.parse(_env(s.name)) for s in SETTINGS}
    env = values["env"]
    secret = _env("SECRET_KEY")
    if not secret and env == "production":
        raise ConfigError("SECRET_KEY is required when APP_ENV=production")
    if secret and env == "production":
        _check_production_secret(secret)
    url = _env("PUBLIC_BASE_URL") or _default_public_base_url(str(Settings.public_base_url))
    values["public_base_url"] = url.rstrip("/")
    settings = Settings(**values)  # type: ignore[arg-type]
    if (
        settings.is_production
        and settings.imap_security == "none"
        and settings.imap_host not in {"127.0.0.1", "localhost", "::1"}
    ):
        raise ConfigError("IMAP_SECURITY=none would send the mailbox password in clear text")
    _check_sso(settings)
    return settings


def _check_sso(settings: Settings) -> None:
    """Single sign-on needs a client id; turning passwords off needs single sign-on; in
    production the identity provider is reached over HTTPS only."""
    if not settings.local_passwords and not settings.oidc_issuer:
        raise ConfigError(
            "LOCAL_PASSWORDS=off needs OIDC_ISSUER: without single sign-on nobody could log in"
        )
    if not settings.oidc_issuer:
        return
    if not settings.oidc_client_id:
        raise ConfigError("OIDC_ISSUER is set: set OIDC_CLIENT_ID (the registered client id) too")
    if settings.is_production and not settings.oidc_issuer.startswith("https://"):
        raise ConfigError("OIDC_ISSUER must be an https:// URL in production")


def describe(settings: Settings) -> list[tuple[str, str]]:
    """Each setting's name and its value for a report, secrets masked (``flask forum check``)."""
    return [(s.name, s.shown(getattr(settings, s.attr))) for s in SETTINGS]


def settings_table() -> str:
    """The README's table of settings (Markdown), generated from SETTINGS."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| variable | type | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = s.shown_default or (f"`{s.text(s.default)}`" if s.default != "" else "empty")
        if s.choices:
            kind = "one of " + ", ".join(f"`{c}`" for c in s.choices)
        else:
            kind = TYPE_NAMES[s.type]
        lines.append(f"| `{s.name}` | {kind} | {cell(default)} | {cell(s.help)} |")
    return "\n".join(lines) + "\n"
