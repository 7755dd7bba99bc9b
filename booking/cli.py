"""Flask commands: ``flask --app wsgi forum <command>``."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking import migrate as migrations
from booking.models import Forum
from booking.services import demo
from booking.services import sessions as session_service
from booking.services.errors import ServiceError
from booking.services.users import create_user

forum_cli = AppGroup("forum", help="Dörren in: administration commands.")


def _db() -> Session:
    session: Session = current_app.extensions["session_factory"]()
    return session


def _today() -> date:
    today: date = current_app.extensions["clock"].now().date()
    return today


@forum_cli.command("migrate")
def migrate_cmd() -> None:
    """Bring the database schema up to date (Alembic upgrade head)."""
    migrations.upgrade(current_app.config["SETTINGS"].database_url)
    click.echo("database schema is up to date")


@forum_cli.command("seed-demo")
def seed_demo_cmd() -> None:
    """Load demo data (Forum Mora and Forum Orsa) if the database is empty."""
    with _db() as db:
        settings = current_app.config["SETTINGS"]
        if demo.seed_demo(db, _today(), settings.session_horizon_months):
            click.echo("demo data loaded")
        else:
            click.echo("database already has data; demo data not loaded")


@forum_cli.command("extend-sessions")
@click.option("--forum", "slug", default=None, help="Only this forum (slug).")
def extend_sessions_cmd(slug: str | None) -> None:
    """Materialise sessions up to the rolling horizon (idempotent)."""
    settings = current_app.config["SETTINGS"]
    with _db() as db:
        query = select(Forum)
        if slug:
            query = query.where(Forum.slug == slug)
        for forum in db.scalars(query).all():
            result = session_service.extend_sessions(
                db, forum, _today(), settings.session_horizon_months
            )
            click.echo(
                f"{forum.slug}: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.kept_booked} kept (booked)"
            )


@forum_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role", required=True, type=click.Choice(["admin", "coordinator", "representative", "viewer"])
)
@click.password_option()
def create_user_cmd(email: str, name: str, role: str, password: str) -> None:
    """Create a login."""
    with _db() as db:
        try:
            user = create_user(db, email, name, role, password)
            db.commit()
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"user {user.email} ({user.role.value}) created")


@forum_cli.command("create-token")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What the token is for, e.g. 'diariet'.")
def create_token_cmd(email: str, name: str) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from booking.services.api_tokens import create_token

    with _db() as db:
        try:
            token, secret = create_token(db, email, name, now=current_app.extensions["clock"].now())
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"API token {token.id} ({token.name}) for {email}; shown once, keep it safe:")
        click.echo(secret)


def register(app: Flask) -> None:
    app.cli.add_command(forum_cli)
