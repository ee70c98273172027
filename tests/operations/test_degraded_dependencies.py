"""Issue #27.3: a real gunicorn whose database, then whose Redis, goes away and comes back.

Without the database every API answer is a 503 `database_unavailable` with Retry-After in the
one error shape (never a 500 or a page), /healthz stays alive and /readyz says not ready; the
first request after it is back succeeds. Without Redis, login, booking and reads work (the
throttle fails open, counted and logged) and the throttle counts again once Redis is back.
The outage is a TCP proxy cutting the servers off: the shared servers are left alone.
"""

import uuid

import pytest
import redis
from django.db import connection

from tests.errors import assert_error
from tests.factories import PASSWORD, PatientFactory, SlotFactory, in_hours
from tests.servers import REDIS_URL, GatedProxy, call, gunicorns, served_database_url

pytestmark = pytest.mark.django_db(transaction=True)

BOOK = "/api/v1/appointments/"
LOGIN = "/api/v1/auth/login/"
METRICS_TOKEN = "degraded-dependencies-metrics-token"


def through(proxy: GatedProxy, url: str) -> str:
    port = str(connection.settings_dict["PORT"] or 5432)
    host_port = f"{connection.settings_dict['HOST']}:{port}"
    return url.replace(host_port, f"127.0.0.1:{proxy.port}", 1)


def login(port: int, email: str):
    return call(port, "POST", LOGIN, {"email": email, "password": PASSWORD})


def book(port: int, token: str, slot) -> object:
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    return call(port, "POST", BOOK, {"slot": str(slot.pk)}, headers)


@pytest.fixture(autouse=True)
def throttle_keys():
    """The servers count logins in the shared Redis: none left from before, none left after."""
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter("*throttle_login*"):
        store.delete(key)
    yield
    for key in store.scan_iter("*throttle_login*"):
        store.delete(key)


def assert_unavailable(response) -> None:
    body = assert_error(response, 503, "database_unavailable")
    assert body["type"] == "server_error"
    assert int(response["Retry-After"]) > 0


def test_a_database_outage_answers_503_and_the_first_request_after_it_succeeds():
    patient = PatientFactory()
    slots = [SlotFactory(start=in_hours(48 + hour)) for hour in range(2)]
    proxy = GatedProxy(int(connection.settings_dict["PORT"] or 5432))
    env = {"DATABASE_URL": through(proxy, served_database_url()), "CONN_MAX_AGE": "60"}
    with gunicorns(1, env=env, workers=2) as (server,):
        token = login(server.port, patient.user.email).json()["access"]
        assert book(server.port, token, slots[0]).status == 201

        proxy.close()
        assert_unavailable(book(server.port, token, slots[1]))
        assert_unavailable(
            call(server.port, "GET", BOOK, headers={"Authorization": f"Bearer {token}"})
        )
        assert_unavailable(login(server.port, patient.user.email))
        assert call(server.port, "GET", "/healthz").status == 200
        assert_error(call(server.port, "GET", "/readyz"), 503, "database_unavailable")

        proxy.reopen()
        assert book(server.port, token, slots[1]).status == 201
        assert call(server.port, "GET", "/readyz").status == 200
        output = server.output()
    assert "Database unavailable (OperationalError); answering 503" in output
    assert "Traceback" not in output, output


def test_with_redis_down_login_booking_and_reads_work_and_the_throttle_comes_back():
    patient = PatientFactory()
    slot = SlotFactory(start=in_hours(48))
    redis_url = REDIS_URL.rsplit("/", 1)
    proxy = GatedProxy(int(redis_url[0].rsplit(":", 1)[1]))
    env = {
        "TEST_CACHE_URL": f"redis://127.0.0.1:{proxy.port}/{redis_url[1]}",
        "THROTTLE_LOGIN": "3/min",
        "METRICS_TOKEN": METRICS_TOKEN,
    }
    with gunicorns(1, env=env, workers=1) as (server,):
        proxy.close()
        for _ in range(5):  # over the limit: the throttle fails open
            response = login(server.port, patient.user.email)
            assert response.status == 200, response.content
        token = response.json()["access"]
        assert book(server.port, token, slot).status == 201
        listed = call(server.port, "GET", BOOK, headers={"Authorization": f"Bearer {token}"})
        assert listed.status == 200
        scraped = call(
            server.port, "GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        ).content.decode()
        assert 'careslot_cache_unavailable_total{feature="throttle"} 5.0' in scraped

        proxy.reopen()
        answers = [login(server.port, patient.user.email) for _ in range(4)]
        statuses = [answer.status for answer in answers]
        assert statuses == [200, 200, 200, 429], answers[0].content
        output = server.output()
    assert "Cache unavailable (ConnectionError); throttle fails open" in output
