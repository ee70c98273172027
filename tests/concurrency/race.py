"""Run callables at the same instant on real threads, each with its own database connection."""

import threading
from collections.abc import Callable

from django.db import connection

from accounts.models import User
from tests.conftest import CheckedAPIClient

# A race thread that is still running after this long is a deadlock: the test fails on it
# (pytest-timeout would only stop the whole run later).
THREAD_TIMEOUT_SECONDS = 60


def run_together(calls: list[Callable[[], object]]) -> list[object]:
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT_SECONDS)
    hung = [i for i, thread in enumerate(threads) if thread.is_alive()]
    assert not hung, f"race threads {hung} still running after {THREAD_TIMEOUT_SECONDS}s"
    return results


class Status(int):
    """An HTTP status that also carries the first error code of its body (None on success), so
    a race test can count statuses and still check that every loser lost for the right reason."""

    error_code: str | None

    def __new__(cls, status: int, error_code: str | None) -> "Status":
        value = super().__new__(cls, status)
        value.error_code = error_code
        return value


def request_as(who, method: str, path: str, body: dict | None = None, **headers):
    """A call for `run_together`: `method` `path` as `who` (a user, a patient or doctor, or a raw
    access token) on its own client; it returns the response's `Status`."""

    def call() -> Status:
        client = CheckedAPIClient()
        if isinstance(who, str):
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {who}", **headers)
        else:
            client.login_as(who if isinstance(who, User) else who.user)
            client.credentials(**headers)
        response = getattr(client, method.lower())(path, body or {}, format="json")
        code = None
        if response.status_code >= 400:
            code = response.json()["errors"][0]["code"]
        return Status(response.status_code, code)

    return call


def post_as(who, path: str, body: dict | None = None, **headers):
    """`request_as(who, "POST", ...)`: the common case."""
    return request_as(who, "POST", path, body, **headers)


def error_codes(results: list) -> set[str | None]:
    """The error codes of the losing `Status`es among `results`."""
    return {result.error_code for result in results if result >= 400}
