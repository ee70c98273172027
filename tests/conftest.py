import pytest
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tokens import TOKEN_VERSION_CLAIM
from tests import hypothesis_profiles
from tests.errors import assert_error_shape

pytest_plugins = ["tests.world"]
hypothesis_profiles.load()


class CheckedAPIClient(APIClient):
    """An API client that checks every 4xx/5xx body against the SPEC §9 error shape."""

    acting_user = None

    def request(self, **kwargs):
        if self.acting_user is not None:
            # A fresh real JWT per request, so tests can travel in time without expiring it.
            token = AccessToken.for_user(self.acting_user)
            token[TOKEN_VERSION_CLAIM] = self.acting_user.token_version
            self._credentials["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        response = super().request(**kwargs)
        if response.status_code >= 400:
            assert_error_shape(response)
        return response

    def login_as(self, user) -> "CheckedAPIClient":
        self.acting_user = user
        return self


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> CheckedAPIClient:
    return CheckedAPIClient()


@pytest.fixture
def client_for():
    """`client_for(user)`: a client authenticated as `user` (or anonymous for None)."""

    def make(user=None) -> CheckedAPIClient:
        client = CheckedAPIClient()
        return client.login_as(user) if user is not None else client

    return make


@pytest.fixture
def outbox():
    mail.outbox = []
    return mail.outbox
