"""What gunicorn imports (gunicorn.conf.py names ``wsgi:asgi_app``).

``app`` is the Flask (WSGI) application: the ``flask --app wsgi`` commands, the tests and any
WSGI server use it. ``asgi_app`` is the same application behind the ASGI front that gunicorn
serves with uvicorn workers (booking/server.py says why).
"""

from booking.app import create_app
from booking.server import asgi_front

app = create_app()
asgi_app = asgi_front(app)
