"""The request being served, for the audit journal (request id, IP) without threading it
through every service signature."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None
    # The request itself, for the rare receivers that must know who acts (centre.signals:
    # an admin removing someone's authenticator app is the actor, not its owner).
    request: Any = field(default=None, compare=False, repr=False)


def acting_user() -> Any:
    """The authenticated user of the request being served, or None (task, command)."""
    ctx = current.get()
    user = getattr(ctx.request, "user", None) if ctx is not None else None
    return user if getattr(user, "is_authenticated", False) else None


current: ContextVar[RequestContext | None] = ContextVar("passerelle_request", default=None)


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """`TRUSTED_PROXIES` as networks: IPs (`172.30.0.10`) or CIDRs (`172.30.0.0/24`)."""
    return _parse(tuple(values))


@functools.lru_cache(maxsize=8)
def _parse(values: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def is_trusted(address: str | None, trusted: tuple[Network, ...]) -> bool:
    ip = _ip(address or "")
    return ip is not None and any(ip in network for network in trusted)


def client_ip(meta: Mapping[str, Any], trusted: tuple[Network, ...]) -> str | None:
    """The client's address. `X-Forwarded-For` is read only when the direct peer is one of
    the trusted proxies, and then from the right: the first hop that is not a trusted proxy
    is the client (the hops on its left were written by the client itself and prove
    nothing). Without trusted proxies, the peer is the client."""
    peer = meta.get("REMOTE_ADDR") or None
    if not is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
    for hop in reversed(hops):
        if _ip(hop) is None:
            return peer  # a malformed chain: keep the proxy's own address
        if not is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer
