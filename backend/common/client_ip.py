"""The client's IP address, derived in one place for throttles, django-axes and access logs.

`TRUSTED_PROXY_COUNT` says how many reverse proxies stand in front of the application. Each
appends the address it received the request from to `X-Forwarded-For`, so with N proxies the
client is the N-th entry from the right, and everything left of it is whatever the client
chose to send. With no proxy (the default) only the socket address counts.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client that sent `request`, as far as the trusted proxies vouch."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        ip = _resolve(request, header="HTTP_X_FORWARDED_FOR", entries_after_client=proxies - 1)
        if ip is not None:
            return ip
    # No proxy, or a request that reached us without passing through all of them: the socket
    # address is the only one nobody but the peer chose.
    return _resolve(request, header="REMOTE_ADDR", entries_after_client=None)


def _resolve(request: HttpRequest, *, header: str, entries_after_client: int | None) -> str | None:
    # The legacy engine splits the header on every comma. The modern one honours quotes, so a
    # client sending `1.2.3.4, "` would swallow the address its proxy appends into one invalid
    # token and choose its own identity.
    ip, _ = get_client_ip(
        request,
        proxy_count=entries_after_client,
        request_header_order=[header],
        strict=False,
        algorithm="legacy",
    )
    return ip


# One IPv6 site gets a /64 (RFC 6177) and chooses any of its 2**64 addresses at will; one IPv4
# address is all a client has. Limits count per network so rotating addresses does not reset them.
IPV4_PREFIX = 32
IPV6_PREFIX = 64


def network_of(ip: str | None) -> str | None:
    """The first address of the network `ip` belongs to: the /64 for IPv6 (an IPv4-mapped IPv6
    address counts as its IPv4 address), the address itself for IPv4."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = IPV4_PREFIX if address.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False).network_address)


def client_network(request: HttpRequest) -> str | None:
    """The network (`network_of`) of the client that sent `request`: what throttles and the
    login lockout count against."""
    return network_of(client_ip(request))
