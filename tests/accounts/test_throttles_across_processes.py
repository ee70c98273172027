"""The login throttle holds across server processes, whatever X-Forwarded-For a client sends.

Two gunicorn servers share Redis the way a deployment's workers do; requests alternate between
them. Each login uses the right password, so django-axes never steps in: only the throttle
(10 a minute per client) can refuse.
"""

import pytest
import redis
from django.conf import settings

from tests.errors import assert_error
from tests.factories import LOGIN_URL, PASSWORD, UserFactory
from tests.servers import REDIS_URL, call, gunicorns

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "pat@example.com"
PROXY_APPENDED = "203.0.113.7"
# What a client may put in X-Forwarded-For itself; the last one hides a proxy-appended address
# behind an unclosed quote, which a quote-aware parser would swallow.
SPOOFED = [
    None,
    "198.51.100.1",
    "198.51.100.2, 198.51.100.3",
    "unknown",
    "10.0.0.1",
    "::1",
    "for=198.51.100.4",
    "198.51.100.5:443",
    "",
    "198.51.100.6,198.51.100.7,198.51.100.8",
    '198.51.100.9, "',
]


@pytest.fixture
def shared_cache():
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    yield
    store.flushdb()


def log_in(port: int, forwarded: str | None):
    headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
    return call(port, "POST", LOGIN_URL, {"email": EMAIL, "password": PASSWORD}, headers)


def behind_proxy(spoofed: str | None, client: str = PROXY_APPENDED) -> str:
    """The header as one reverse proxy passes it on: what the client sent, then its address."""
    return client if spoofed is None else f"{spoofed}, {client}"


def test_the_login_limit_is_ten_a_minute():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["login"] == "10/min"
    assert settings.TRUSTED_PROXY_COUNT == 0


def test_eleventh_login_is_refused_across_two_processes_however_the_header_varies(shared_cache):
    UserFactory(email=EMAIL)
    with gunicorns(2) as servers:
        responses = [log_in(servers[i % 2].port, SPOOFED[i]) for i in range(11)]
        assert [r.status for r in responses] == [200] * 10 + [429]
        assert_error(responses[-1], 429, "throttled")
        assert int(responses[-1]["Retry-After"]) > 0
        assert log_in(servers[1].port, "192.0.2.1").status == 429


def test_behind_one_trusted_proxy_the_address_it_appends_is_the_client(shared_cache):
    UserFactory(email=EMAIL)
    with gunicorns(2, env={"TRUSTED_PROXY_COUNT": "1"}) as servers:
        responses = [log_in(servers[i % 2].port, behind_proxy(SPOOFED[i])) for i in range(11)]
        assert [r.status for r in responses] == [200] * 10 + [429]
        assert_error(responses[-1], 429, "throttled")
        # Other clients behind the same proxy keep their own budgets.
        assert log_in(servers[0].port, behind_proxy("203.0.113.7", "203.0.113.8")).status == 200
        assert log_in(servers[1].port, behind_proxy(None, "2001:db8::8")).status == 200
        # A request that did not come through the proxy counts as its socket address.
        assert log_in(servers[1].port, None).status == 200
