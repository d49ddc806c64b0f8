"""Outgoing mail over SMTP (smtplib): timeouts always, STARTTLS and login when configured; attachments as
MIME parts (the outbox stores references to them and the worker produces the bytes at send time)."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

TIMEOUT_SECONDS = 15.0
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # all attachments of one message together


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    data: bytes

    def __post_init__(self) -> None:
        if "/" not in self.content_type:
            raise ValueError(f"content type {self.content_type!r} is not maintype/subtype")
        if not self.filename or any(c in self.filename for c in "\r\n/\\"):
            raise ValueError(f"attachment file name {self.filename!r} is not a plain file name")


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
    max_attachment_bytes: int = MAX_ATTACHMENT_BYTES

    @classmethod
    def from_settings(cls, settings: object) -> SmtpConfig:
        return cls(
            host=str(getattr(settings, "smtp_host", "")),
            port=int(getattr(settings, "smtp_port", 25)),
            sender=str(getattr(settings, "smtp_from", "charter@localhost")),
            starttls=bool(getattr(settings, "smtp_starttls", False)),
            user=str(getattr(settings, "smtp_user", "")),
            password=str(getattr(settings, "smtp_password", "")),
            max_attachment_bytes=int(getattr(settings, "smtp_max_attachment_bytes", MAX_ATTACHMENT_BYTES)),
        )


def build_message(
    cfg: SmtpConfig,
    *,
    to: str,
    subject: str,
    body: str,
    message_id: str | None = None,
    attachments: Sequence[Attachment] = (),
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
    for a in attachments:
        maintype, subtype = a.content_type.split("/", 1)
        msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
    return msg


def send(
    cfg: SmtpConfig,
    *,
    to: str,
    subject: str,
    body: str,
    message_id: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> None:
    """Send one message; raises EmailNotConfigured, OSError or smtplib.SMTPException on failure."""
    if not cfg.host:
        raise EmailNotConfigured("no SMTP host is configured (set CHARTER_SMTP_HOST)")
    msg = build_message(
        cfg, to=to, subject=subject, body=body, message_id=message_id, attachments=attachments
    )
    with smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout) as smtp:
        smtp.ehlo()
        if cfg.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if cfg.user:
            smtp.login(cfg.user, cfg.password)
        smtp.send_message(msg)
