"""Where the dispatcher may send (SSRF protection, OWASP API7:2023).

A webhook URL is the partner's to choose, so it must never become a way into our own network. The host is
resolved when the endpoint is registered and again at every delivery (a name may change its answer), and
every address it resolves to must be a public one: loopback, private, link-local (which holds the cloud
metadata address 169.254.169.254), multicast, shared (carrier-grade NAT), reserved and unspecified
addresses are refused, IPv4-mapped IPv6 included. The request then goes to the address that was checked,
not to a second lookup, and redirects are never followed. Development and tests may allow networks by
configuration (`WEBHOOKS_ALLOWED_NETWORKS`, e.g. 127.0.0.1/32); production allows none.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]

METADATA_ADDRESSES = {ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200",
                                                         "169.254.170.2")}


class EgressRefused(ValueError):
    """This URL or address may not be called."""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise EgressRefused(f"The host {host!r} does not resolve ({error}).") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def why_refused(address: str) -> str | None:
    """None for a public address, else what kind of address it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    for kind, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified),
                       ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if flag:
            return f"a {kind} address"
    if not ip.is_global:
        return "not a public address"
    return None


@dataclass(frozen=True)
class Target:
    """A checked destination: the URL as registered, and the address to connect to."""
    url: str
    host: str
    port: int
    scheme: str
    address: str


@dataclass(frozen=True)
class EgressPolicy:
    allowed_networks: tuple = ()
    require_https: bool = True
    resolver: Resolver = system_resolver

    @classmethod
    def parse_networks(cls, text: str) -> tuple:
        return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())

    def _allowed(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        return any(ip.version == net.version and ip in net for net in self.allowed_networks)

    def check_url(self, url: str) -> list[str]:
        """Every reason this URL may not be registered (empty when it may)."""
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (reading the port is what rejects a malformed one)
        except ValueError as error:
            return [f"Not a valid URL: {error}."]
        problems = []
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return ["Use an http(s) URL with a host name."]
        if parts.username or parts.password:
            problems.append("Credentials in the URL are not allowed; verify our signature instead.")
        try:
            self.resolve(url)
        except EgressRefused as error:
            problems.append(str(error))
        if self.require_https and parts.scheme != "https":
            problems.append("Use https.")
        return problems

    def resolve(self, url: str) -> Target:
        """The address to send to; EgressRefused if any address the host resolves to is not allowed."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            addresses = self.resolver(host, port)
        if not addresses:
            raise EgressRefused(f"The host {host!r} does not resolve.")
        for address in addresses:
            reason = why_refused(address)
            if reason and not self._allowed(address):
                raise EgressRefused(f"{host} resolves to {address}, {reason}; webhooks go to public addresses only.")
        return Target(url=url, host=host, port=port, scheme=parts.scheme, address=addresses[0])


