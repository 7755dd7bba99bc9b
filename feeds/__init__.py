"""ICS feed blueprint: token lookup, conditional GET, gzip, stored bytes (issue 4)."""

from flask import Blueprint

feeds_bp = Blueprint("feeds", __name__, url_prefix="/feeds")

from feeds import routes  # noqa: E402,F401  (routes register on import)


def register(app: object) -> None:
    """Register the blueprint and make sure feed access is logged (without tokens)."""
    import logging
    import sys

    from flask import Flask

    from feeds.fast import FeedFastPath

    assert isinstance(app, Flask)
    app.register_blueprint(feeds_bp)
    app.wsgi_app = FeedFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
    log = logging.getLogger("feeds.access")
    if not log.handlers and log.level == logging.NOTSET:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s feeds.access %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
