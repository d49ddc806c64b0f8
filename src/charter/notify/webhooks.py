"""Webhook delivery: a signed JSON POST to a checked address, no redirects, short timeouts, capped reply.

Receivers verify `X-Charter-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body keyed with the
webhook's secret; `X-Charter-Timestamp` (Unix seconds) lets them refuse old
replays, and `X-Charter-Delivery` (the outbox id) lets them drop a repeated delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from typing import Any

from charter.notify.netguard import Target, UnsafeUrl, check_url

TIMEOUT_SECONDS = 5.0
MAX_RESPONSE_BYTES = 64 * 1024


class DeliveryError(Exception):
    """The receiver did not accept the delivery (the worker retries later)."""


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, body), signature)


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked address; the Host header still names the URL's host."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._ip = target.ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the checked address, verifying the certificate against the URL's host name."""

    def __init__(self, target: Target, timeout: float):
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._ip = target.ip

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def deliver(
    url: str,
    secret: str,
    payload: dict[str, Any],
    *,
    allow_hosts: frozenset[str] = frozenset(),
    delivery_id: str = "",
    timeout: float = TIMEOUT_SECONDS,
) -> int:
    """POST `payload`; returns the 2xx status or raises DeliveryError / UnsafeUrl. Redirects are refused."""
    target = check_url(url, allow_hosts)  # again at send time: DNS may have changed since the save
    body = encode(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Charter-Webhook/1",
        "X-Charter-Signature": sign(secret, body),
        "X-Charter-Timestamp": str(int(time.time())),
        "X-Charter-Event": str(payload.get("kind", "")),
        "X-Charter-Delivery": delivery_id,
    }
    conn: http.client.HTTPConnection = (
        _PinnedHTTPS(target, timeout) if target.scheme == "https" else _PinnedHTTP(target, timeout)
    )
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        resp = conn.getresponse()
        reply = resp.read(MAX_RESPONSE_BYTES)
        status = resp.status
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"{url}: {type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()
    if 300 <= status < 400:
        raise DeliveryError(f"{url} answered {status} (a redirect); redirects are not followed")
    if not 200 <= status < 300:
        snippet = reply[:200].decode("utf-8", "replace")
        raise DeliveryError(f"{url} answered {status}: {snippet}")
    return status


__all__ = ["DeliveryError", "UnsafeUrl", "deliver", "sign", "verify"]
