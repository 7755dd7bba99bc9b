"""ICS feed blueprint: token lookup, conditional GET, gzip, stored bytes (issue 4).

Every feed answer comes from ``feeds.answer.answer``: called by the ASGI front
(booking/server.py, ``feeds.asgi``) for fresh polls and by the routes (``feeds.routes``) for
everything, so Flask's test client and gunicorn run the same code.
"""

from flask import Blueprint

feeds_bp = Blueprint("feeds", __name__, url_prefix="/feeds")

from feeds import routes  # noqa: E402,F401  (routes register on import)


def register(app: object) -> None:
    """Register the blueprint and make sure feed access is logged (without tokens)."""
    import logging
    import sys

    from flask import Flask

    assert isinstance(app, Flask)
    app.register_blueprint(feeds_bp)
    log = logging.getLogger("feeds.access")
    if not log.handlers and log.level == logging.NOTSET:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s feeds.access %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
