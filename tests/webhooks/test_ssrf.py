"""SSRF: endpoints may only reach public addresses, checked at save and again at send, and the
request connects to the address that was checked."""

import ipaddress
import socket

import pytest

from tests.webhooks.conftest import make_endpoint
from webhooks import network
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.services import queue_event

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhook-endpoints/"

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "0.0.0.0",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # carrier-grade NAT
    "169.254.169.254",  # cloud metadata
    "100.100.100.200",  # Alibaba metadata
    "192.0.0.192",  # Oracle metadata
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    # Teredo (2001::/32): refused whatever it carries, a private client address...
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # client 10.0.0.1
    # ...or a public server and client (IANA lists 2001::/23 as special-purpose, not global)
    "2001:0:5db8:e378:8000:63bf:a74a:f1e5",  # server 93.184.227.120, client 88.181.14.26
    "2001::1",
]
ALLOWED = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address):
    assert not network.is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address):
    assert network.is_public_address(ipaddress.ip_address(address))


def _url_for(address: str) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"https://{host}/hooks"


@pytest.mark.parametrize(
    "url",
    [
        *(_url_for(address) for address in REFUSED),
        "https://localhost/hooks",  # a name that resolves to 127.0.0.1
        "https://LOCALHOST:8443/hooks",
        "https://2130706433/hooks",  # 127.0.0.1 as one number
        "https://0x7f.1/hooks",
    ],
)
def test_saving_an_endpoint_that_resolves_to_a_private_address_is_refused(
    client_for, clinic, clinic_admin, url
):
    response = client_for(clinic_admin).post(
        URL,
        {"clinic": str(clinic.pk), "url": url, "event_types": ["slot.created"]},
        format="json",
    )

    assert response.status_code == 400, (url, response.content)
    assert response.json()["errors"][0]["attr"] == "url"
    assert response.json()["errors"][0]["code"] in ("unsafe_url", "invalid")


def test_a_name_with_one_private_record_among_public_ones_is_refused(monkeypatch):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)

    with pytest.raises(network.UnsafeDestination, match="not allowed") as refused:
        network.resolve("https://mixed.example.com/hooks")
    assert "10.0.0.7" not in str(refused.value)


def test_the_address_is_checked_again_at_send(settings, clinic, receiver, run_tasks):
    """Saved while private networks were allowed (or before its DNS changed): the worker
    refuses to call it now, and the log says why; nothing reaches the receiver."""
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    endpoint = make_endpoint(clinic, receiver.url(host="localhost"))
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})

    run_tasks()

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert delivery.status == "failed"  # no retry: the address will not become public
    assert attempt.status_code is None
    assert "not allowed" in attempt.error
    assert "127.0.0.1" not in attempt.error
    assert receiver.received == []


def test_dns_rebinding_between_save_and_send_is_caught(settings, monkeypatch):
    """The name resolved to a public address when saved; now it answers 127.0.0.1."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    answers = iter(["93.184.215.14", "127.0.0.1"])

    def rebinding_getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)

    assert network.resolve("https://rebind.example.com/x").addresses == ("93.184.215.14",)
    with pytest.raises(network.UnsafeDestination):
        network.resolve("https://rebind.example.com/x")


def test_the_request_connects_to_the_vetted_address_and_keeps_the_name(
    local_webhooks, monkeypatch, receiver
):
    """One lookup: the connection goes to the address that was checked (the receiver's), while
    the Host header names the URL's host."""
    lookups = []

    def fake_getaddrinfo(host, port, *args, **kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    destination = network.resolve(f"http://hooks.clinic.example:{receiver.port}/in?x=1")

    response = network.post(destination, body=b"{}", headers={"content-type": "application/json"})

    assert response.status_code == 200
    # The name was looked up once; the connection was given the address (a numeric lookup).
    assert lookups == ["hooks.clinic.example", "127.0.0.1"]
    (received,) = receiver.received
    assert received.headers["host"] == f"hooks.clinic.example:{receiver.port}"
    assert received.path == "/in?x=1"


def test_redirects_are_not_followed(local_webhooks, clinic, receiver, run_tasks):
    receiver.default_status = 302
    endpoint = make_endpoint(clinic, receiver.url())
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})

    run_tasks()

    assert len(receiver.received) == 1
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == "failed"
    assert delivery.attempts.get().status_code == 302


def test_https_is_required_outside_debug(settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    with pytest.raises(network.UnsafeDestination, match="https"):
        network.parse_url("http://93.184.215.14/x")
    settings.WEBHOOK_REQUIRE_HTTPS = False
    assert network.parse_url("http://93.184.215.14/x")[0] == "http"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://93.184.215.14/hooks", True),
        ("https://93.184.215.14:443/hooks", True),
        ("http://93.184.215.14:80/hooks", True),
        ("https://93.184.215.14:8443/hooks", False),
        ("https://93.184.215.14:22/hooks", False),
        ("http://93.184.215.14:6379/hooks", False),
    ],
)
def test_only_the_allowed_ports_may_be_called(settings, url, allowed):
    """A public address's other services (SSH, Redis, admin consoles) are no receivers."""
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    if allowed:
        assert network.resolve(url).addresses == ("93.184.215.14",)
    else:
        with pytest.raises(network.UnsafeDestination, match="port is not allowed"):
            network.resolve(url)


def test_the_allowed_ports_are_a_setting(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    settings.WEBHOOK_ALLOWED_PORTS = [8443]
    assert network.resolve("https://93.184.215.14:8443/hooks").port == 8443
    with pytest.raises(network.UnsafeDestination, match=r"allowed: 8443"):
        network.resolve("https://93.184.215.14/hooks")
