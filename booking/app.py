"""create_app(): the composition root, the only module that knows every part."""

from __future__ import annotations

from typing import Any

from flask import Flask, g
from sqlalchemy import text
from sqlalchemy.orm import Session

from booking.clock import Clock, SystemClock
from booking.db import make_engine, make_session_factory
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
    app.extensions["session_factory"] = make_session_factory(engine)
    app.extensions["clock"] = clock or SystemClock()

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        db: Session | None = g.pop("db", None)
        if db is not None:
            db.close()

    _configure_services(settings)
    _register_blueprints(app)
    _register_health(app)

    from booking import cli

    cli.register(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from booking.api import api_bp
    from booking.api.errors import install_app_handlers

    app.register_blueprint(api_bp)
    install_app_handlers(app)

    from booking.web import init_web

    init_web(app)  # after the API's handlers: its error pages leave /api/ to the API


def _configure_services(settings: Settings) -> None:
    from urllib.parse import urlsplit

    from booking.services import booking as booking_service

    booking_service.configure(
        booking_service.BookingPolicy(
            min_notice_working_days=settings.min_notice_working_days,
            uid_host=urlsplit(settings.public_base_url).hostname or "dorren-in.local",
        )
    )


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
