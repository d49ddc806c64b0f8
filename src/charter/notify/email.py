"""Outgoing mail over SMTP (smtplib): timeouts always, STARTTLS and login when configured."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

TIMEOUT_SECONDS = 15.0


class EmailNotConfigured(Exception):
    """No SMTP host is set (CHARTER_SMTP_HOST)."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 25
    sender: str = "charter@localhost"
    starttls: bool = False
    user: str = ""
    password: str = ""
    timeout: float = TIMEOUT_SECONDS

    @classmethod
    def from_settings(cls, settings: object) -> SmtpConfig:
        return cls(
            host=str(getattr(settings, "smtp_host", "")),
            port=int(getattr(settings, "smtp_port", 25)),
            sender=str(getattr(settings, "smtp_from", "charter@localhost")),
            starttls=bool(getattr(settings, "smtp_starttls", False)),
            user=str(getattr(settings, "smtp_user", "")),
            password=str(getattr(settings, "smtp_password", "")),
        )


def build_message(
    cfg: SmtpConfig, *, to: str, subject: str, body: str, message_id: str | None = None
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = to
    msg["Subject"] = subject.replace("\r", " ").replace("\n", " ")
    msg["Date"] = formatdate(usegmt=True)
    if message_id:
        # stable per outbox row, so a receiving system can drop a repeated delivery
        msg["Message-ID"] = f"<{message_id}@charter>"
    msg.set_content(body)
    return msg


def send(cfg: SmtpConfig, *, to: str, subject: str, body: str, message_id: str | None = None) -> None:
    """Send one message; raises EmailNotConfigured, OSError or smtplib.SMTPException on failure."""
    if not cfg.host:
        raise EmailNotConfigured("no SMTP host is configured (set CHARTER_SMTP_HOST)")
    msg = build_message(cfg, to=to, subject=subject, body=body, message_id=message_id)
    with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout) as smtp:
        smtp.ehlo()
        if cfg.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if cfg.user:
            smtp.login(cfg.user, cfg.password)
        smtp.send_message(msg)
