"""Where a webhook may go (SSRF), and the one HTTP request that takes it there.

An endpoint URL is a request the clinic makes CareSlot's worker send. Without checks it reaches
what only the worker can: the database, Redis, the cloud's metadata service, the admin pages of
the private network. So a host must resolve to public addresses only, every one of them (a name
with one private record among public ones is refused), checked when the endpoint is saved and
again before each request, and the request connects to the address that was checked (no second
lookup a DNS-rebinding server could answer differently), keeping the name for the Host header
and TLS (SNI and certificate). Redirects are not followed. `WEBHOOK_ALLOW_PRIVATE_NETWORKS`
lifts the address check for local development and tests.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Metadata services of the clouds; most are link-local or private anyway, named here so the
# rule does not depend on that.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


class UnsafeDestination(Exception):
    """The URL may not be called: why, in words fit for the endpoint's owner."""


class HostNotResolved(UnsafeDestination):
    """The name does not resolve (now): worth another try later, at send time."""


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if address.version != 6:
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """Whether the worker may connect to `address`: globally routable unicast, not loopback,
    private, link-local, multicast, reserved, unspecified or a metadata service, for IPv4 and
    IPv6 alike (and for the IPv4 address inside an IPv6 one)."""
    if address.version == 6 and address.ipv4_mapped:
        return is_public_address(address.ipv4_mapped)  # ::ffff:a.b.c.d is a.b.c.d
    embedded = _embedded_ipv4(address)
    if embedded is not None and not is_public_address(embedded):
        return False
    refused = (
        address in METADATA_ADDRESSES
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (address.version == 6 and address.is_site_local)
    )
    return address.is_global and not refused


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # the name (or literal address) as the URL gives it
    port: int
    target: str  # path and query
    addresses: tuple[str, ...]  # vetted addresses to connect to, in the resolver's order


def parse_url(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    allowed = ("https",) if settings.WEBHOOK_REQUIRE_HTTPS else ("https", "http")
    if scheme not in allowed:
        raise UnsafeDestination("The URL must use https.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeDestination("The URL must not carry a user name or password.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeDestination("The URL's port is not valid.") from exc
    if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS and port not in settings.WEBHOOK_ALLOWED_PORTS:
        allowed = ", ".join(str(allowed) for allowed in settings.WEBHOOK_ALLOWED_PORTS)
        raise UnsafeDestination(f"The URL's port is not allowed (allowed: {allowed}).")
    host = parts.hostname
    if not host:
        raise UnsafeDestination("The URL has no host.")
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return scheme, host, port, target


def resolve(url: str) -> Destination:
    """Parse the URL and resolve its host; raise UnsafeDestination if any address it resolves
    to is not public (unless WEBHOOK_ALLOW_PRIVATE_NETWORKS)."""
    scheme, host, port, target = parse_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise HostNotResolved(f"The host {host} does not resolve.") from exc
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS and not is_public_address(address):
            # Which address is kept to ourselves: naming it would answer DNS questions about
            # the private network to anyone who may save an endpoint.
            raise UnsafeDestination(f"The host {host} resolves to an address that is not allowed.")
        if str(address) not in addresses:
            addresses.append(str(address))
    if not addresses:
        raise HostNotResolved(f"The host {host} does not resolve.")
    return Destination(scheme, host, port, target, tuple(addresses))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a vetted address; the Host header keeps the URL's name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to a vetted address; TLS checks the certificate against the URL's name and
    sends it as SNI."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Response:
    status_code: int
    excerpt: str
    latency_ms: int


class _Deadline:
    """Cuts a connection's socket when the whole exchange outlasts its time: the per-operation
    timeout alone lets a receiver that trickles a byte at a time hold the worker for ever."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float):
        self.connection = connection
        self.expired = threading.Event()
        self.timer = threading.Timer(seconds, self._cut)

    def _cut(self) -> None:
        self.expired.set()
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                # the plain socket's shutdown: it wakes a blocked read, TLS or not
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def __enter__(self) -> "_Deadline":
        self.timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.timer.cancel()


def post(destination: Destination, *, body: bytes, headers: dict[str, str]) -> Response:
    """POST `body` to the destination, connecting to its first reachable vetted address.
    Each socket operation waits at most WEBHOOK_TIMEOUT_SECONDS, and the whole exchange at most
    WEBHOOK_TOTAL_TIMEOUT_SECONDS. Raises OSError (ConnectionError, TimeoutError,
    ssl.SSLError) or http.client.HTTPException; redirects are answers like any other."""
    connection_class = (
        _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    )
    last_error: OSError = ConnectionError(f"no address to connect to for {destination.host}")
    for address in destination.addresses:
        connection = connection_class(
            destination.host,
            destination.port,
            address=address,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
        )
        started = time.monotonic()
        try:
            with _Deadline(connection, settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS) as deadline:
                try:
                    connection.connect()
                except (ConnectionError, TimeoutError) as exc:  # the next address may answer
                    last_error = exc
                    continue
                try:
                    connection.request("POST", destination.target, body=body, headers=headers)
                    answer = connection.getresponse()
                    excerpt = answer.read(settings.WEBHOOK_RESPONSE_EXCERPT_BYTES)
                except (OSError, http.client.HTTPException) as exc:
                    if deadline.expired.is_set():
                        raise TimeoutError("The receiver did not answer in time.") from exc
                    raise
                if deadline.expired.is_set():
                    raise TimeoutError("The receiver did not answer in time.")
        finally:
            connection.close()
        latency_ms = round((time.monotonic() - started) * 1000)
        return Response(answer.status, excerpt.decode("utf-8", "replace"), latency_ms)
    raise last_error
