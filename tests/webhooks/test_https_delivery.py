"""Webhook delivery over real TLS (a local HTTPS receiver with a test CA made here): to the
address that was checked, with the URL's name as SNI and the certificate verified against it;
and the deadlines: a receiver that hangs or trickles cannot hold the worker."""

import socket
import ssl
import time

import pytest
from standardwebhooks.webhooks import Webhook

from tests.webhooks.conftest import make_endpoint
from tests.webhooks.receiver import Receiver
from tests.webhooks.tls import HangingReceiver, TestCA, TLSReceiver
from webhooks import network
from webhooks.models import WebhookDelivery
from webhooks.services import queue_event

pytestmark = pytest.mark.django_db

NAME = "hooks.clinic.test"  # does not resolve: only the pinned address can reach the receiver


@pytest.fixture
def ca(tmp_path, monkeypatch):
    """A test CA that the worker's TLS trusts (OpenSSL reads SSL_CERT_FILE when a default
    context loads its certificates), for this test only."""
    authority = TestCA(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(authority.path))
    return authority


@pytest.fixture
def serve():
    receivers = []

    def start(cert_and_key) -> TLSReceiver:
        receivers.append(TLSReceiver(*cert_and_key))
        return receivers[-1]

    yield start
    for receiver in receivers:
        receiver.stop()


def pinned(port: int, host: str = NAME) -> network.Destination:
    return network.Destination("https", host, port, "/hooks", ("127.0.0.1",))


def test_https_goes_to_the_pinned_address_with_sni_and_a_verified_certificate(ca, serve):
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo(NAME, 443)  # no second lookup could have found the receiver
    receiver = serve(ca.issue(NAME))

    response = network.post(pinned(receiver.port), body=b"{}", headers={"x-test": "1"})

    assert response.status_code == 200
    assert response.excerpt == "ok"
    assert receiver.server_names == [NAME]  # SNI: the URL's name, not the address
    assert receiver.requests == [(f"{NAME}:{receiver.port}", b"{}")]


def test_a_certificate_of_another_ca_or_for_another_name_is_refused(ca, serve, tmp_path):
    stranger = TestCA(tmp_path / "..", name="Someone else CA")
    untrusted = serve(stranger.issue(NAME))
    wrong_name = serve(ca.issue("other.clinic.test"))

    for receiver in (untrusted, wrong_name):
        with pytest.raises(ssl.SSLCertVerificationError):
            network.post(pinned(receiver.port), body=b"{}", headers={})
        assert receiver.requests == []


def test_a_delivery_task_over_https_is_signed_and_verified(ca, serve, settings, run_tasks):
    from tests.factories import ClinicFactory

    settings.WEBHOOK_REQUIRE_HTTPS = True
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True  # localhost: the receiver is on this machine
    receiver = serve(ca.issue("localhost"))
    clinic = ClinicFactory()
    endpoint = make_endpoint(clinic, f"https://localhost:{receiver.port}/hooks")
    queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})

    assert run_tasks() == 1

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 1)
    assert receiver.server_names == ["localhost"]
    [(host, body)] = receiver.requests
    assert host == f"localhost:{receiver.port}"
    [headers] = receiver.headers
    assert Webhook(endpoint.secret).verify(body, headers)["type"] == "slot.created"


def test_the_deadlines_are_10_seconds_per_operation_and_30_in_all(settings):
    assert settings.WEBHOOK_TIMEOUT_SECONDS == 10
    assert settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS == 30


@pytest.fixture
def hanging():
    receivers = []

    def start(**kwargs) -> HangingReceiver:
        receivers.append(HangingReceiver(**kwargs))
        return receivers[-1]

    yield start
    for receiver in receivers:
        receiver.stop()


def test_a_silent_receiver_meets_the_per_operation_timeout(settings, hanging):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS = 60  # far away: it is not what ends this one
    silent = hanging(trickle=False)
    destination = network.Destination("http", "127.0.0.1", silent.port, "/", ("127.0.0.1",))

    with pytest.raises(TimeoutError) as raised:
        network.post(destination, body=b"{}", headers={})

    assert silent.accepted.is_set()
    assert str(raised.value) == "timed out"  # the socket's own timeout, not the total deadline


def test_a_silent_receiver_meets_the_per_operation_timeout_over_https(settings, hanging):
    """Over TLS too: a receiver that accepts and never answers the handshake."""
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS = 60
    silent = hanging(trickle=False)
    destination = network.Destination("https", "localhost", silent.port, "/", ("127.0.0.1",))
    started = time.monotonic()

    with pytest.raises(TimeoutError):
        network.post(destination, body=b"{}", headers={})

    assert silent.accepted.is_set()
    assert time.monotonic() - started < silent.SILENCE_SECONDS


def test_a_trickling_receiver_meets_the_total_deadline(settings, hanging):
    settings.WEBHOOK_TIMEOUT_SECONDS = 5  # each byte comes well within it
    settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS = 1
    trickle = hanging(trickle=True, interval=0.2)
    destination = network.Destination("http", "127.0.0.1", trickle.port, "/", ("127.0.0.1",))
    started = time.monotonic()

    with pytest.raises(TimeoutError) as raised:
        network.post(destination, body=b"{}", headers={})

    assert str(raised.value) == "The receiver did not answer in time."
    assert time.monotonic() - started >= 1  # a timer never fires early


def test_a_hanging_receiver_does_not_block_the_worker(local_webhooks, settings, hanging, run_tasks):
    from tests.factories import ClinicFactory

    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS = 1
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    trickle = hanging(trickle=True, interval=0.2)
    healthy = Receiver()
    try:
        clinic = ClinicFactory()
        slow = make_endpoint(clinic, f"http://127.0.0.1:{trickle.port}/hooks")
        make_endpoint(clinic, healthy.url())
        queue_event(clinic_id=clinic.pk, event_type="slot.created", data={"slots": []})

        assert run_tasks() == 2  # the worker came back from the hanging one and went on
        assert len(healthy.received) == 1
    finally:
        healthy.stop()
    delivery = WebhookDelivery.objects.get(endpoint=slow)
    assert delivery.status == "failed"
    assert delivery.attempts.get().error == "TimeoutError: The receiver did not answer in time."
