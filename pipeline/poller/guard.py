"""Which network addresses the fetcher may connect to (SSRF guard), enforced at connect time.

In: a host name and port from a URL (the feed URL or any redirect target).  Out: a connected socket to an address
the policy allows, or ``BlockedAddress``.  The check runs on the addresses DNS returned, inside the HTTP client's
connect step, so a redirect or a DNS answer that changes between check and connect cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
import typing
from collections.abc import Iterable

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class BlockedAddress(Exception):
    """The URL's host resolves to an address the policy refuses (loopback, private, link-local, metadata...)."""


class AddressPolicy:
    """Refuse every non-global address unless its network or host name is explicitly allowed.

    ``ipaddress``'s ``is_global`` is False for loopback, RFC 1918, link-local (169.254.0.0/16, which holds the cloud
    metadata service), CGNAT, multicast, reserved and unspecified ranges, and the IPv6 equivalents (fd00:ec2::254 is
    unique-local).  IPv4-mapped IPv6 addresses are judged by the IPv4 address they carry.
    """

    def __init__(self, allow: Iterable[str] = ()):
        self.networks: list[IPNetwork] = []
        self.hostnames: set[str] = set()
        for item in allow:
            try:
                self.networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                self.hostnames.add(item.strip().lower().rstrip("."))

    def allows(self, host: str, ip: IPAddress) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if ip.is_global and not ip.is_multicast:
            return True
        if host.lower().rstrip(".") in self.hostnames:
            return True
        return any(ip in net for net in self.networks)

    def resolve(self, host: str, port: int) -> list[str]:
        """DNS answers for ``host`` that the policy allows; raises ``BlockedAddress`` if any answer is refused.

        Refusing the whole name when one of its addresses is internal stops a name that mixes public and private
        answers from being used to reach the private one on a retry.
        """
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise httpcore.ConnectError(f"DNS lookup failed for {host}: {exc}") from exc
        ips: list[str] = []
        for info in infos:
            addr = str(info[4][0]).split("%", 1)[0]
            ip = ipaddress.ip_address(addr)
            if not self.allows(host, ip):
                raise BlockedAddress(f"{host} resolves to {ip}, which is not a public address")
            if addr not in ips:
                ips.append(addr)
        return ips


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to the addresses ``AddressPolicy.resolve`` returned."""

    def __init__(self, policy: AddressPolicy):
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for ip in self.policy.resolve(host, port):
            try:  # TLS still verifies and sends SNI for `host`: httpcore passes the origin host to start_tls
                return super().connect_tcp(ip, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last or httpcore.ConnectError(f"no address for {host}")


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the guarded backend.  No proxies: a proxy would hide the real destination."""

    def __init__(self, policy: AddressPolicy, limits: httpx.Limits, verify: bool = True):
        super().__init__(verify=verify, limits=limits, trust_env=False)
        # httpx exposes no network_backend argument; build the pool it would build, with our backend.
        ssl_context = self._pool._ssl_context  # type: ignore[attr-defined]
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )
