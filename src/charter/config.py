"""Settings from the environment (prefix CHARTER_). The embedded default needs no setup at all."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(user_data_dir("charter", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHARTER_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    secret_key: str = ""
    session_hours: int = 12
    session_idle_minutes: int = 120
    cookie_secure: bool | None = None  # None: Secure when the request came over https
    login_max_failures: int = 5
    login_window_minutes: int = 15
    token_rate_per_minute: int = 600
    max_upload_bytes: int = 20 * 1024 * 1024
    attachment_max_bytes: int = 10 * 1024 * 1024  # one stored file (e.g. an expense's receipt)
    # notifications (notify/): outgoing mail, webhook allow-list (hosts exempt from the private-address
    # refusal, comma separated) and how often `charter worker` looks at the outbox
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "charter@localhost"
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    # attachments of one e-mail together (a status report's PDF); a larger one is left out and the mail says so
    smtp_max_attachment_bytes: int = 10 * 1024 * 1024
    webhook_allow_hosts: str = ""
    worker_poll_seconds: float = 5.0
    # days after which a delivered e-mail's or webhook event's text is dropped from the outbox (its kind and
    # subject stay, and the row, which stops the same reminder from being sent twice); 0 keeps everything
    outbox_keep_days: int = 90
    # how long a row claimed by a worker that died (kill -9, power loss) waits before another worker takes it
    # over; keep it well above the SMTP and webhook timeouts
    worker_lock_seconds: int = 300
    # requests one app process serves at once (its thread pool; more wait their turn in arrival order): on
    # CPython more threads than this only take turns at the interpreter lock, so a request holding a row lock
    # takes longer to finish and the others queue behind it (docs/benchmarks.md, "Load")
    request_threads: int = Field(default=8, ge=1, le=200)
    # database connections one app process keeps open (PostgreSQL); None: request_threads + 4 (the
    # background threads'), with as many again on a burst
    db_pool_size: int | None = Field(default=None, ge=1, le=500)

    # the address people open Charter at (https://charter.example.org, or with a path prefix): links in
    # e-mails and the calendar-feed address are made absolute with it; unset, they stay paths (and the pages
    # use the address the request came to)
    public_url: str = ""

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str) -> str:
        from urllib.parse import urlsplit

        v = v.strip()
        if not v:
            return ""
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("CHARTER_PUBLIC_URL must be an http(s) address without query or fragment")
        return v.rstrip("/")

    def absolute(self, path: str) -> str:
        """`path` (/projects/3/risks) under CHARTER_PUBLIC_URL when it is set; else the path unchanged."""
        return self.public_url + path if self.public_url and path.startswith("/") else path

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.data_dir / 'charter.db'}"

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret.key"
        if not path.exists():
            import secrets

            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
