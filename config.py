"""All settings, read from the environment in one place.

Every setting has a documented default (README, "Configuration"). Outside development
and tests a missing SECRET_KEY stops the start-up instead of running with a guessable key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name).lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _env_int_list(name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = _env(name)
    if not raw:
        return default
    try:
        return tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} must be a comma-separated list of integers") from exc


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
    # web security
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def _imap_security(value: str) -> str:
    if value not in {"ssl", "starttls", "none"}:
        raise ConfigError("IMAP_SECURITY must be ssl, starttls or none")
    return value


def load_settings() -> Settings:
    """Read every setting from the environment; raise ConfigError on a bad one."""
    env = _env("APP_ENV", "development")
    if env not in {"development", "test", "production"}:
        raise ConfigError("APP_ENV must be development, test or production")
    secret = _env("SECRET_KEY")
    if not secret:
        if env == "production":
            raise ConfigError("SECRET_KEY is required when APP_ENV=production")
        secret = DEV_SECRET_KEY
    elif env == "production":
        _check_production_secret(secret)
    defaults = Settings()
    settings = Settings(
        env=env,
        secret_key=secret,
        database_url=_env("DATABASE_URL", defaults.database_url),
        forum_timezone=_env("FORUM_TIMEZONE", defaults.forum_timezone),
        public_base_url=(
            _env("PUBLIC_BASE_URL") or _default_public_base_url(defaults.public_base_url)
        ).rstrip("/"),
        session_horizon_months=_env_int("SESSION_HORIZON_MONTHS", 18),
        min_notice_working_days=_env_int("MIN_NOTICE_WORKING_DAYS", 5),
        feed_refresh_minutes=_env_int("FEED_REFRESH_MINUTES", 60),
        feed_window_days_back=_env_int("FEED_WINDOW_DAYS_BACK", 60),
        feed_window_months_ahead=_env_int("FEED_WINDOW_MONTHS_AHEAD", 18),
        feed_cancelled_keep_days=_env_int("FEED_CANCELLED_KEEP_DAYS", 30),
        caldav_url=_env("CALDAV_URL"),
        caldav_username=_env("CALDAV_USERNAME"),
        caldav_password=_env("CALDAV_PASSWORD"),
        caldav_features=_env("CALDAV_FEATURES"),
        caldav_remote_user_header=_env_bool("CALDAV_REMOTE_USER_HEADER", False),
        organizer_email=_env("ORGANIZER_EMAIL", defaults.organizer_email),
        smtp_host=_env("SMTP_HOST", defaults.smtp_host),
        smtp_port=_env_int("SMTP_PORT", defaults.smtp_port),
        smtp_username=_env("SMTP_USERNAME"),
        smtp_password=_env("SMTP_PASSWORD"),
        smtp_starttls=_env_bool("SMTP_STARTTLS", False),
        mail_from=_env("MAIL_FROM", defaults.mail_from),
        imap_host=_env("IMAP_HOST"),
        imap_port=_env_int("IMAP_PORT", defaults.imap_port),
        imap_security=_imap_security(_env("IMAP_SECURITY", defaults.imap_security)),
        imap_username=_env("IMAP_USERNAME"),
        imap_password=_env("IMAP_PASSWORD"),
        imap_folder=_env("IMAP_FOLDER", defaults.imap_folder),
        imap_done_folder=_env("IMAP_DONE_FOLDER", defaults.imap_done_folder),
        imap_other_folder=_env("IMAP_OTHER_FOLDER", defaults.imap_other_folder),
        rsvp_sync_seconds=_env_int("RSVP_SYNC_SECONDS", 60),
        reminder_working_days=_env_int_list("REMINDER_WORKING_DAYS", (5, 2)),
        deputy_on_decline=_env_bool("DEPUTY_ON_DECLINE", True),
        caldav_calendar_url=_env("CALDAV_CALENDAR_URL"),
        worker_poll_seconds=_env_int("WORKER_POLL_SECONDS", 2),
        outbox_lease_seconds=_env_int("OUTBOX_LEASE_SECONDS", 300),
        outbox_max_attempts=_env_int("OUTBOX_MAX_ATTEMPTS", 12),
        survey_delay_days=_env_int("SURVEY_DELAY_DAYS", 3),
        survey_scale=_env_int("SURVEY_SCALE", 6),
        retention_years=_env_int("RETENTION_YEARS", 0),
        followup_reminder_days=_env_int_list("FOLLOWUP_REMINDER_DAYS", (7, 1)),
        login_max_failures=_env_int("LOGIN_MAX_FAILURES", 5),
        login_lockout_minutes=_env_int("LOGIN_LOCKOUT_MINUTES", 15),
    )
    if (
        settings.is_production
        and settings.imap_security == "none"
        and settings.imap_host not in {"127.0.0.1", "localhost", "::1"}
    ):
        raise ConfigError("IMAP_SECURITY=none would send the mailbox password in clear text")
    return settings
