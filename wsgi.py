"""What gunicorn imports: ``gunicorn wsgi:app``."""

from booking.app import create_app

app = create_app()
