"""The client's address behind a trusted reverse proxy (``SHEBAO_TRUSTED_PROXIES``), for limits, audit and logs.

The setting is a hop count (``1``: one proxy in front, whatever its address) or a comma list of addresses and
CIDR networks. ``X-Forwarded-For`` is read only when the immediate peer is trusted; from anyone else it is
ignored, so a forged header cannot pick another address's rate limit (ASVS 5.0 4.1.3, 2.4.1). Empty: no proxy,
the socket's address counts. The WSGI ``REMOTE_ADDR`` is rewritten once, so ``request.remote_addr`` is the
client everywhere; the peer's own address is kept in ``shebao.peer_addr``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PEER_KEY = "shebao.peer_addr"


@dataclass(frozen=True)
class TrustedProxies:
    """Which peers may say who the client is: ``hops`` proxies in a row, or the peers inside ``networks``."""

    hops: int = 0
    networks: tuple[Network, ...] = field(default_factory=tuple)

    @property
    def enabled(self) -> bool:
        return bool(self.hops or self.networks)

    def trusts(self, address: str) -> bool:
        """Whether ``address`` is one of the configured proxies (a hop count trusts by position, not address)."""
        ip = _ip(address)
        return ip is not None and any(ip in net for net in self.networks)

    def gunicorn_allow_ips(self) -> str:
        """gunicorn's ``--forwarded-allow-ips`` for the same trust: ``*`` for a hop count, the list, or none."""
        if self.hops:
            return "*"
        return ",".join(str(net) for net in self.networks)


def parse_trusted_proxies(raw: str) -> TrustedProxies:
    """Read ``SHEBAO_TRUSTED_PROXIES``; raises ValueError on anything but a hop count or addresses/CIDRs."""
    text = raw.strip()
    if not text or text == "0":
        return TrustedProxies()
    if text.isdigit():
        hops = int(text)
        if hops > 5:
            raise ValueError(f"a hop count of {hops} is not plausible")
        return TrustedProxies(hops=hops)
    networks = tuple(ipaddress.ip_network(part.strip(), strict=True) for part in text.split(",") if part.strip())
    return TrustedProxies(networks=networks)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(peer: str, forwarded_for: str, trusted: TrustedProxies) -> str:
    """The client of a request from ``peer`` carrying ``X-Forwarded-For: forwarded_for``, when trust is by address.

    Walks the list from the right (the entries our proxies appended) past every trusted proxy; the first address
    that is not one of ours is the client. A peer that is not ours is the client whatever it claims.
    """
    if not trusted.trusts(peer):
        return peer
    client = peer
    for entry in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if _ip(entry) is None:
            break  # garbage left of our proxy's entry: the last address our proxies vouched for stands
        client = entry
        if not trusted.trusts(entry):
            break
    return client


class _AddressTrust:
    """WSGI middleware for trust by address: rewrites ``REMOTE_ADDR`` (and the scheme) from trusted peers only."""

    def __init__(self, app: WsgiApp, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR", "")
        environ[PEER_KEY] = peer
        if self.trusted.trusts(peer):
            environ["REMOTE_ADDR"] = client_address(peer, environ.get("HTTP_X_FORWARDED_FOR", ""), self.trusted)
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)


class _HopTrust:
    """WSGI middleware for trust by position: werkzeug's ProxyFix with ``hops`` proxies in front."""

    def __init__(self, app: WsgiApp, hops: int) -> None:
        self.fixed = ProxyFix(app, x_for=hops, x_proto=hops)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ[PEER_KEY] = environ.get("REMOTE_ADDR", "")
        return self.fixed(environ, start_response)


def wrap(app: WsgiApp, trusted: TrustedProxies) -> WsgiApp:
    """``app`` reading the client's address as ``trusted`` allows (unchanged when no proxy is trusted)."""
    if trusted.hops:
        return _HopTrust(app, trusted.hops)
    if trusted.networks:
        return _AddressTrust(app, trusted)
    return app
