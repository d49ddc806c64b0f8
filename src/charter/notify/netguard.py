"""Where a webhook may point: http(s) URLs whose host resolves only to public addresses (SSRF guard).

The check runs when a webhook is saved and again at every send; the sender then connects to the very
address that passed the check, so a DNS answer that changes in between (rebinding) cannot redirect it.
Hosts on the admin allow-list (setting `webhook_allow_hosts`) skip the address rules.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

# Cloud metadata services, besides everything link-local / private that is refused anyway.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "192.0.0.192")
)


class UnsafeUrl(ValueError):
    """The URL is refused; the message names it and says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (Host header, TLS server name)
    port: int
    ip: str  # the checked address to connect to
    path: str  # path and query


def allow_list(raw: str | list[str] | None) -> frozenset[str]:
    items = raw.split(",") if isinstance(raw, str) else (raw or [])
    return frozenset(h.strip().lower().rstrip(".") for h in items if h.strip())


def address_problem(ip: str) -> str | None:
    """Why a connection to `ip` is refused, or None when it is a public address."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if addr in METADATA:
        return "a cloud metadata address"
    for name, hit in (
        ("a loopback", addr.is_loopback),
        ("a link-local", addr.is_link_local),
        ("a multicast", addr.is_multicast),
        ("an unspecified", addr.is_unspecified),
        ("a reserved", addr.is_reserved),
        ("a private", addr.is_private),
        ("a non-public", not addr.is_global),
    ):
        if hit:
            return f"{name} address"
    return None


def check_url(url: str, allow_hosts: frozenset[str] = frozenset()) -> Target:
    """Parse and resolve `url`; raise UnsafeUrl unless every address it resolves to is public (or the host is
    allowed). Returns the target with the first checked address."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"{url} is not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeUrl(f"{url}: only http and https URLs are allowed")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise UnsafeUrl(f"{url} has no host")
    if parts.username or parts.password:
        raise UnsafeUrl(f"{url}: credentials in the URL are not allowed (use the webhook secret)")
    port = port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(f"{url}: the host {host} cannot be resolved") from exc
    ips = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not ips:
        raise UnsafeUrl(f"{url}: the host {host} has no address")
    if host not in allow_hosts:
        for ip in ips:
            problem = address_problem(ip)
            if problem:
                raise UnsafeUrl(
                    f"{url} resolves to {ip}, {problem}; an admin can allow the host {host} "
                    "(setting webhook_allow_hosts)"
                )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port, ip=ips[0], path=path)
