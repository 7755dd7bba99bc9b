# Dörren in: production image. Migrations run as a separate command:
#   docker run --rm --env-file prod.env dorren-in flask --app wsgi forum migrate
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 APP_ENV=production
WORKDIR /app
RUN useradd --system --create-home --uid 10001 forum
COPY pyproject.toml README.md ./
COPY config.py wsgi.py gunicorn.conf.py alembic.ini ./
COPY booking ./booking
COPY feeds ./feeds
COPY migrations ./migrations
RUN pip install . && mkdir -p /app/var && chown forum /app/var
USER forum
EXPOSE 8000
# Worker class, application and access log come from gunicorn.conf.py.
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "--forwarded-allow-ips", "*"]
