import pytest
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tokens import TOKEN_VERSION_CLAIM
from taskqueue.worker import run_ready_tasks
from tests import hypothesis_profiles
from tests.errors import assert_error_shape
from tests.factories import doctor_at_a_clinic
from tests.fhir_checks import check_fhir_response

pytest_plugins = ["tests.world"]
hypothesis_profiles.load()


class CheckedAPIClient(APIClient):
    """An API client that checks every 4xx/5xx body against the error shape (docs/api-guide.md;
    on /fhir/: every body against the FHIR R4B models, errors as OperationOutcome), and that no
    request renders an email or sends one: mail is the worker's job (issue #16)."""

    acting_user = None

    def request(self, **kwargs):
        if self.acting_user is not None:
            # A fresh real JWT per request, so tests can travel in time without expiring it.
            token = AccessToken.for_user(self.acting_user)
            token[TOKEN_VERSION_CLAIM] = self.acting_user.token_version
            self._credentials["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        sent_before = len(mail.outbox)
        response = super().request(**kwargs)
        if kwargs.get("PATH_INFO", "").startswith("/fhir/"):
            check_fhir_response(response)  # OperationOutcome errors, valid R4B resources
        elif response.status_code >= 400:
            assert_error_shape(response)
        emails = [t.name for t in response.templates if t.name and "/email/" in t.name]
        assert not emails, f"the request rendered {emails}: emails are rendered by tasks"
        assert len(mail.outbox) == sent_before, "the request sent mail: only tasks send mail"
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
def run_tasks():
    """`run_tasks()` runs every task that is ready now through the worker's own claim and run
    steps (taskqueue.worker), in this process and transaction; it returns how many ran."""
    return run_ready_tasks


@pytest.fixture
def outbox():
    mail.outbox = []
    return mail.outbox


@pytest.fixture
def doctor():
    """A doctor working at a clinic of their own (`doctor.clinic`)."""
    return doctor_at_a_clinic()
