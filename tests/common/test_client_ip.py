"""One derivation of the client's address (common.client_ip), used by every throttle."""

import pytest
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from common.client_ip import client_ip
from common.throttling import ClientScopedRateThrottle
from integrations.throttling import IntegrationClientThrottle

SOCKET = "10.0.0.2"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, None, SOCKET),
        (0, "203.0.113.7", SOCKET),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 198.51.100.2, 203.0.113.7", "203.0.113.7"),
        (1, "garbage, 203.0.113.7", "203.0.113.7"),
        # An unclosed quote must not swallow the proxy's entry (a quote-aware parser does).
        (1, '198.51.100.1, ", 203.0.113.7', "203.0.113.7"),
        (1, '198.51.100.1, for="x, 203.0.113.7', "203.0.113.7"),
        (1, "198.51.100.1, 2001:db8::7", "2001:db8::7"),
        (1, None, SOCKET),  # did not come through the proxy
        (1, "", SOCKET),
        (2, "198.51.100.1, 203.0.113.7, 10.1.1.1", "203.0.113.7"),
        (2, "10.1.1.1", SOCKET),  # fewer entries than proxies: nothing vouched for
    ],
)
def test_client_ip(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    headers = {"REMOTE_ADDR": SOCKET}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(RequestFactory().get("/", **headers)) == expected


def test_axes_counts_per_client_network(settings):
    assert settings.AXES_CLIENT_IP_CALLABLE == "common.client_ip.client_network"


def views(resolver: URLResolver):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from views(pattern)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if view is not None:
                yield pattern, view


def test_every_throttled_view_identifies_clients_by_client_ip():
    throttled = {
        str(pattern.pattern): view
        for pattern, view in views(get_resolver())
        if getattr(view, "throttle_classes", [])
    }
    assert len(throttled) >= 7, throttled  # login, 2 registrations, resend, confirm, 2 resets
    for name, view in throttled.items():
        for throttle in view.throttle_classes:
            if throttle is IntegrationClientThrottle:
                continue  # counts an integration client by its id, wherever it calls from
            assert issubclass(throttle, ClientScopedRateThrottle), (name, throttle)
