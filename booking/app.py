"""create_app(): the composition root, the only module that knows every part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, g
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from booking.clock import Clock, SystemClock
from booking.db import make_engine, make_session_factory
from booking.services.policies import Policies
from config import Settings, load_settings


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    test_config: dict[str, Any] | None = None,
) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SETTINGS=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    if test_config:
        app.config.update(test_config)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the documented field order

    engine = make_engine(settings.database_url)
    app.extensions["engine"] = engine
    app.extensions["clock"] = clock = clock or SystemClock()
    # Every policy, built once: the web layers read it here, the services from their session.
    app.extensions["policies"] = policies = Policies.from_settings(settings)
    app.extensions["session_factory"] = make_session_factory(engine, clock, policies)

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        db: Session | None = g.pop("db", None)
        if db is not None:
            db.close()

    _wire_adapters(app, settings)
    from booking.web_support import IdConverter

    app.url_map.converters["int"] = IdConverter  # before any route is added
    _register_blueprints(app)
    _register_health(app)

    from booking import cli

    cli.register(app)
    return app


def _wire_adapters(app: Flask, settings: Settings) -> None:
    """CalDAV gateway, SMTP mailer, IMAP mailbox, raw feed reader factories and the OpenID
    Connect client (only this module knows the adapters)."""
    from booking.adapters.caldav_gateway import CalDavConfig, CalDavGateway, freebusy_port
    from booking.adapters.mailbox import ImapConfig, ImapMailbox
    from booking.adapters.mailer import SmtpConfig, SmtpMailer
    from booking.adapters.oidc import OidcClient, OidcConfig
    from booking.adapters.outbox_wakeup import OutboxWakeup
    from booking.services.invitations.outbox import WAKEUP_CHANNEL

    def caldav_gateway_factory() -> CalDavGateway | None:
        if not settings.caldav_url:
            return None
        return CalDavGateway(
            CalDavConfig(
                url=settings.caldav_url,
                username=settings.caldav_username,
                password=settings.caldav_password,
                features=settings.caldav_features,
                remote_user_header=settings.caldav_remote_user_header,
                calendar_url=settings.caldav_calendar_url,
            )
        )

    def mailer_factory() -> SmtpMailer:
        return SmtpMailer(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username,
                password=settings.smtp_password,
                starttls=settings.smtp_starttls,
                mail_from=settings.mail_from,
            )
        )

    def mailbox_factory() -> ImapMailbox:
        return ImapMailbox(
            ImapConfig(
                host=settings.imap_host,
                port=settings.imap_port,
                security=settings.imap_security,
                username=settings.imap_username,
                password=settings.imap_password,
                folder=settings.imap_folder,
                done_folder=settings.imap_done_folder,
                other_folder=settings.imap_other_folder,
            )
        )

    def outbox_wakeup_factory() -> OutboxWakeup | None:
        """PostgreSQL wakes the worker at each commit that queues work; SQLite is polled."""
        if not settings.database_url.startswith("postgresql"):
            return None
        return OutboxWakeup(settings.database_url, WAKEUP_CHANNEL)

    app.extensions["caldav_gateway_factory"] = caldav_gateway_factory
    app.extensions["outbox_wakeup_factory"] = outbox_wakeup_factory
    app.extensions["mailer_factory"] = mailer_factory
    # The organizer's mailbox, read by the worker for iMIP replies; None when not set up.
    app.extensions["mailbox_factory"] = mailbox_factory if settings.imap_host else None
    # The booking service's free/busy port (DESIGN.md §3.3): empty when no server can answer.
    app.extensions["freebusy"] = freebusy_port(caldav_gateway_factory)
    # Fresh feed polls without the ORM (feeds.answer.reader_of makes one per engine).
    app.extensions["feed_reader_factory"] = feed_reader_factory(settings)
    # A commit of this process waits until the feed versions it changed are forgotten
    # (booking/adapters/feed_versions.py, rule 4).
    event.listen(app.extensions["session_factory"], "after_commit", lambda _db: _synced(app))
    # Single sign-on with the municipality's identity provider; None when OIDC_ISSUER is empty.
    app.extensions["identity_provider"] = (
        OidcClient(
            OidcConfig(
                issuer=settings.oidc_issuer,
                client_id=settings.oidc_client_id,
                client_secret=settings.oidc_client_secret,
                scopes=settings.oidc_scopes,
                groups_claim=settings.oidc_groups_claim,
            )
        )
        if settings.oidc_issuer
        else None
    )


def feed_reader_factory(settings: Settings) -> Callable[[Engine], Any]:
    """The raw feed reader for an engine; on PostgreSQL (unless FEED_LISTEN is off) with the
    feed versions kept current by LISTEN/NOTIFY, so unchanged polls make no round trip."""
    from booking.adapters.feed_reader import FeedReader
    from booking.adapters.feed_versions import FeedVersions
    from booking.adapters.outbox_wakeup import libpq_dsn

    def make(engine: Engine) -> FeedReader:
        if engine.dialect.name != "postgresql" or not settings.feed_listen:
            return FeedReader(engine)
        return FeedReader(engine, FeedVersions(libpq_dsn(engine.url)))

    return make


def close_app(app: Flask) -> None:
    """Release what the app holds open: the feed reader's connections and its change listener
    (a thread on PostgreSQL), then the engine's pool. For whoever made the app and now drops
    its database (tests, benchmarks): a listener left running would retry a dropped database."""
    reader = app.extensions.pop("feed_reader", None)
    if reader is not None:
        reader.close()
    app.extensions["engine"].dispose()


def _synced(app: Flask) -> None:
    reader = app.extensions.get("feed_reader")  # none yet: nothing kept, nothing to wait for
    if reader is not None:
        reader.after_commit()


def _register_blueprints(app: Flask) -> None:
    from booking.api import api_bp
    from booking.api.errors import install_app_handlers
    from booking.public import public_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(public_bp)
    install_app_handlers(app)

    from booking.web import init_web

    init_web(app)  # after the API's handlers: its error pages leave /api/ to the API

    from feeds import register as register_feeds

    register_feeds(app)


def _register_health(app: Flask) -> None:
    from booking.web_support import get_db

    @app.get("/healthz")
    def healthz() -> tuple[dict[str, str], int]:
        try:
            get_db().execute(text("SELECT 1"))
        except Exception as exc:  # the health check must answer, whatever the failure
            app.logger.warning("health check failed: %s", exc)
            return {"status": "error", "database": "unreachable"}, 503
        return {"status": "ok", "database": "ok"}, 200
