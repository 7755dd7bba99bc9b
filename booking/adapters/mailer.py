"""SMTP delivery: iMIP (RFC 6047) invitations and plain notification mails.

An iMIP mail is multipart/alternative: text/plain, text/html and the iTIP object as
``text/calendar; method=REQUEST`` (the MIME method equals the METHOD inside, RFC 6047 §2.4).
Mail clients with calendar support show Accept/Decline for it. Calendar data without a
METHOD is attached as an ``.ics`` file instead.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from booking.services.invitations.outbox import OutgoingMail, PermanentError, TransientError


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    username: str = ""
    password: str = ""
    starttls: bool = False
    mail_from: str = "Dörren in <forum@dorren-in.example>"
    timeout: float = 20.0


def _check_headers(mail: OutgoingMail) -> None:
    """A header value with a line break would add headers (or crash every attempt); a
    recipient with a comma or semicolon would be several addresses. Neither can be sent as it
    stands, so neither is retried."""
    for name, value in (
        ("To", " ".join(mail.to)),
        ("Subject", mail.subject),
        ("Reply-To", mail.reply_to),
        ("Message-ID", mail.message_id),
    ):
        if any(c in value for c in "\r\n\x00"):
            raise PermanentError(f"mail header {name} holds a line break; not sent")
    for recipient in mail.to:
        if any(c in recipient for c in ",;<>") or recipient.count("@") != 1:
            raise PermanentError(f"recipient {recipient!r} is not exactly one address; not sent")


def build_message(mail: OutgoingMail, mail_from: str) -> EmailMessage:
    _check_headers(mail)
    message = EmailMessage()
    name, address = parseaddr(mail_from)
    message["From"] = str(Address(display_name=name, addr_spec=address)) if name else address
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    if mail.date is not None:  # else the server adds it (RFC 6409 §8.1)
        message["Date"] = format_datetime(mail.date)
    message["Message-ID"] = mail.message_id or make_msgid(domain=address.split("@")[-1])
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text, charset="utf-8")
    if mail.html:
        message.add_alternative(mail.html, subtype="html", charset="utf-8")
    if mail.ics is not None and mail.ics_method:
        # iMIP: the calendar part is one of the alternatives, with the method parameter.
        message.add_alternative(
            mail.ics,
            maintype="text",
            subtype="calendar",
            params={"method": mail.ics_method, "charset": "UTF-8"},
            cte="base64",
        )
    elif mail.ics is not None:
        message.add_attachment(
            mail.ics, maintype="text", subtype="calendar", filename="forum.ics", cte="base64"
        )
    return message


class SmtpMailer:
    """Sends one message per connection (the worker sends few; no connection to keep alive)."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def check(self) -> str:
        """Connect, log in if configured and say NOOP: what `forum check` reports."""
        config = self.config
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as s:
                if config.starttls:
                    s.starttls(context=ssl.create_default_context())
                if config.username:
                    s.login(config.username, config.password)
                s.noop()
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(f"SMTP login as {config.username!r} refused: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"SMTP {config.host}:{config.port} unreachable: {exc}") from exc
        login = f", logged in as {config.username}" if config.username else ""
        return f"{config.host}:{config.port} answers{login}; mail from {config.mail_from}"

    def send(self, mail: OutgoingMail) -> None:
        if not mail.to:
            raise PermanentError("no recipient")
        message = build_message(mail, self.config.mail_from)
        try:
            with smtplib.SMTP(self.config.host, self.config.port, timeout=self.config.timeout) as s:
                if self.config.starttls:
                    s.starttls(context=ssl.create_default_context())
                if self.config.username:
                    s.login(self.config.username, self.config.password)
                refused = s.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentError(f"SMTP: recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise PermanentError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
            raise TransientError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"SMTP server unreachable: {exc}") from exc
        if refused:
            raise PermanentError(f"SMTP: refused {sorted(refused)}")
