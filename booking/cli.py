"""Flask commands: ``flask --app wsgi forum <command>``."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from booking import migrate as migrations
from booking.domain.vocabulary import Role
from booking.models import Forum
from booking.services import demo
from booking.services.access.users import create_user
from booking.services.errors import ServiceError
from booking.services.scheduling import sessions as session_service
from booking.web_support import policies

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
    if migrations.refresh_statistics(current_app.extensions["engine"]):
        click.echo("planner statistics refreshed (ANALYZE)")


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


@forum_cli.command("book-evaluation")
@click.option("--forum", "slug", required=True, help="The forum (slug).")
@click.option(
    "--date",
    "day",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The forum afternoon, YYYY-MM-DD.",
)
def book_evaluation_cmd(slug: str, day: datetime) -> None:
    """Make a coming afternoon without bookings the term's evaluation meeting: every active
    representative of the forum is invited; the invitation carries the term's figures."""
    from booking.services.audit import Actor
    from booking.services.scheduling import evaluation

    with _db() as db:
        try:
            session = evaluation.session_on(db, slug, day.date())
            booked = evaluation.book_evaluation(
                db, session.id, Actor.system("cli"), now=current_app.extensions["clock"].now()
            )
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(
            f"{slug} {booked.day.isoformat()}: the evaluation meeting of {booked.term.key} "
            f"({booked.case.reference}); {booked.invited} representatives invited"
        )


@forum_cli.command("setup")
@click.option("--admin-email", prompt="Administrator's e-mail")
@click.option("--admin-name", prompt="Administrator's name")
@click.password_option("--password", prompt="Administrator's password (10 characters or more)")
@click.option("--forum-name", prompt="Forum name (e.g. Forum Orsa)")
@click.option("--forum-slug", prompt="Forum address name (e.g. orsa)")
@click.option("--municipality", prompt="Municipality (e.g. Orsa kommun)")
@click.option("--place", default="", help="Where the forum meets.")
@click.option("--organizer-email", default="", help="The forum's ORGANIZER address.")
def setup_cmd(
    admin_email: str,
    admin_name: str,
    password: str,
    forum_name: str,
    forum_slug: str,
    municipality: str,
    place: str,
    organizer_email: str,
) -> None:
    """First run from an empty database: the first administrator and the first forum (with an
    every-other-Tuesday series, 13:00–17:00, from the next Tuesday). Refused once an
    administrator exists."""
    from booking.services.scheduling.first_run import FirstRun, first_run
    from booking.services.scheduling.forums import ForumData

    data = FirstRun(
        admin_email=admin_email,
        admin_name=admin_name,
        password=password,
        forum=ForumData(
            name=forum_name,
            slug=forum_slug,
            municipality=municipality,
            location=place,
            organizer_email=organizer_email,
        ),
    )
    settings = current_app.config["SETTINGS"]
    clock = current_app.extensions["clock"]
    with _db() as db:
        try:
            admin, forum = first_run(db, data, clock.now(), settings.session_horizon_months)
        except ServiceError as exc:
            db.rollback()
            raise click.ClickException(f"{exc.message} {exc.details or ''}".strip()) from exc
        click.echo(f"administrator {admin.email} and forum {forum.name} ({forum.slug}) created")
        click.echo("next: sign in and set up series, pauses and departments at /admin/forums")


@forum_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
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


def _worker_setup() -> object:
    from booking.services.worker import WorkerSetup

    ext = current_app.extensions
    wakeup = ext["outbox_wakeup_factory"]()
    return WorkerSetup(
        calendar_factory=ext["caldav_gateway_factory"],
        mailer=ext["mailer_factory"](),
        policies=policies(),
        mailbox_factory=ext["mailbox_factory"],
        wait_for_work=wakeup.wait if wakeup is not None else None,
    )


@forum_cli.command("worker")
@click.option("--once", is_flag=True, help="Run every job once (periodic ones forced) and exit.")
@click.option(
    "--poll", type=float, default=None, help="Seconds between rounds (WORKER_POLL_SECONDS)."
)
def worker_cmd(once: bool, poll: float | None) -> None:
    """Deliver invitations and e-mail (outbox), sync RSVPs, send reminders, extend sessions."""
    import logging
    import signal
    import threading

    from booking.services.worker import Worker, WorkerSetup

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    setup = _worker_setup()
    assert isinstance(setup, WorkerSetup)
    worker = Worker(current_app.extensions["session_factory"], setup)
    clock = current_app.extensions["clock"]
    try:
        if once:
            report = worker.tick(clock.now(), force=True)
            click.echo(f"worker: {report.summary()}")
            for error in report.errors:
                click.echo(f"  error: {error}", err=True)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        worker.run(clock, stop, poll if poll is not None else policies().worker.poll_seconds)
    finally:
        worker.close()


@forum_cli.command("import-imip")
def import_imip_cmd() -> None:
    """Apply an iMIP REPLY e-mail read from stdin (pipe it from the mail system)."""
    import sys

    from booking.services.invitations.answers import import_imip_reply

    with _db() as db:
        report = import_imip_reply(
            db,
            sys.stdin.buffer.read(),
            current_app.extensions["clock"].now(),
            policy=policies().rsvp,
        )
    click.echo(f"applied {report.applied}, unchanged {report.unchanged}, skipped {report.skipped}")


@forum_cli.command("create-token")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="What the token is for, e.g. 'diariet'.")
def create_token_cmd(email: str, name: str) -> None:
    """Create an API token; it is printed once and stored only as a hash."""
    from booking.services.access.api_tokens import create_token

    with _db() as db:
        try:
            token, secret = create_token(db, email, name, now=current_app.extensions["clock"].now())
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"API token {token.id} ({token.name}) for {email}; shown once, keep it safe:")
        click.echo(secret)


@forum_cli.command("list-tokens")
@click.option("--email", default=None, help="Only the tokens of this user.")
def list_tokens_cmd(email: str | None) -> None:
    """List API tokens: id, state, user and name (never the secret)."""
    from booking.services.access.api_tokens import list_tokens

    with _db() as db:
        for token in list_tokens(db, None, email=email):
            state = (
                "active"
                if token.revoked_at is None
                else f"revoked {token.revoked_at:%Y-%m-%d %H:%M}"
            )
            click.echo(
                f"{token.id:>5}  {state:<24} {token.user.email:<40} {token.name}"
                f"  (created {token.created_at:%Y-%m-%d})"
            )


@forum_cli.command("revoke-token")
@click.argument("token_id", type=int)
def revoke_token_cmd(token_id: int) -> None:
    """Revoke an API token at once (its next request gets 401); audited."""
    from booking.services.access.api_tokens import revoke_token

    with _db() as db:
        try:
            token = revoke_token(db, token_id, now=current_app.extensions["clock"].now())
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"API token {token.id} ({token.name}) of {token.user.email}: revoked")


# ---------------------------------------------------------------- feed tokens (issue 4)

feed_token_cli = AppGroup("feed-token", help="Secret links of the private ICS feeds.")
FEED_KINDS = click.Choice(["department", "representative", "forum", "case"])


def _print_feed_link(kind: str, token: str) -> None:
    from booking.services.feeds.tokens import feed_path

    url = current_app.config["SETTINGS"].public_base_url + feed_path(kind, token)
    click.echo(url)
    click.echo("webcal://" + url.split("://", 1)[1])


def _feed_token_action(kind: str, ref: str, action: str) -> None:
    from booking.services.feeds import tokens as feed_tokens

    settings = current_app.config["SETTINGS"]
    now = current_app.extensions["clock"].now()
    with _db() as db:
        try:
            subject_id, label = feed_tokens.resolve_subject(db, kind, ref)
            if action == "revoke":
                feed_tokens.revoke(db, kind, subject_id, now)
                click.echo(f"{kind} feed of {label}: token revoked (the link now gives 404)")
                return
            issue = feed_tokens.create if action == "create" else feed_tokens.rotate
            token = issue(db, kind, subject_id, settings.secret_key, now)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(
            f"{kind} feed of {label}: new secret link (the previous one, if any, stops working)"
        )
        _print_feed_link(kind, token)


@feed_token_cli.command("create")
@click.argument("kind", type=FEED_KINDS)
@click.argument("ref")
def feed_token_create(kind: str, ref: str) -> None:
    """Issue the feed's token. REF: id, or slug (department/forum), e-mail, case reference."""
    _feed_token_action(kind, ref, "create")


@feed_token_cli.command("rotate")
@click.argument("kind", type=FEED_KINDS)
@click.argument("ref")
def feed_token_rotate(kind: str, ref: str) -> None:
    """Replace the feed's token; the old link stops working at once."""
    _feed_token_action(kind, ref, "rotate")


@feed_token_cli.command("revoke")
@click.argument("kind", type=FEED_KINDS)
@click.argument("ref")
def feed_token_revoke(kind: str, ref: str) -> None:
    """Disable the feed's link (404, the same as for a link that never existed)."""
    _feed_token_action(kind, ref, "revoke")


@feed_token_cli.command("list")
@click.option("--kind", type=FEED_KINDS, default=None)
@click.option("--show-links", is_flag=True, help="Also print the current links (secret!).")
def feed_token_list(kind: str | None, show_links: bool) -> None:
    """List feed tokens (never the tokens themselves unless --show-links)."""
    from booking.services.feeds import tokens as feed_tokens

    settings = current_app.config["SETTINGS"]
    with _db() as db:
        for info in feed_tokens.list_tokens(db, kind):
            state = "active" if info.active else f"revoked {info.revoked_at:%Y-%m-%d %H:%M}"
            click.echo(f"{info.feed_key:<22} {info.label:<45} {state}")
            if show_links and info.active:
                token = feed_tokens.current_token(
                    db, info.kind, info.subject_id, settings.secret_key
                )
                if token:
                    click.echo(
                        "    " + settings.public_base_url + feed_tokens.feed_path(info.kind, token)
                    )


forum_cli.add_command(feed_token_cli)


def _organizers() -> dict[str, str]:
    """Each forum's ORGANIZER address (the forum's own, or ORGANIZER_EMAIL)."""
    default = current_app.config["SETTINGS"].organizer_email
    with _db() as db:
        return {f.name: f.organizer_email or default for f in db.scalars(select(Forum))}


@forum_cli.command("check")
def check_cmd() -> None:
    """Check the database and every configured server, then list every setting's value
    (secrets masked); exit 1 when something fails."""
    from booking.migrate import refresh_statistics, status, tables_never_analysed
    from booking.services import diagnostics
    from config import describe

    ext = current_app.extensions
    engine = ext["engine"]
    checks = [
        diagnostics.check_database(
            engine,
            lambda: status(engine),
            lambda: tables_never_analysed(engine),
            lambda: refresh_statistics(engine),
        ),
        diagnostics.check_calendar(ext["caldav_gateway_factory"]),
        diagnostics.check_organizers(ext["caldav_gateway_factory"], _organizers()),
        diagnostics.check_mail(ext["mailer_factory"]()),
        diagnostics.check_mailbox(ext["mailbox_factory"]),
        diagnostics.check_sso(ext["identity_provider"]),
    ]
    for check in checks:
        click.echo(f"{check.name:<9} {'ok' if check.ok else 'FAILED':<7} {check.detail}")
    click.echo("settings (config.SETTINGS; secrets masked):")
    for name, value in describe(current_app.config["SETTINGS"]):
        click.echo(f"  {name:<26} {value}")
    if not all(check.ok for check in checks):
        raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(forum_cli)
