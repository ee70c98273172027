"""Issue #15 part 2: the request does the same work whether or not an email has an account, so
response time cannot tell (OWASP API2). Password reset and confirmation resend: the very same
SQL and the same one task, whose worker decides; no mail is sent in the request. Registration
with an email that has an account: the same answer and the same task as a new one. The timing
measurement itself is in docs/security.md (scripts/measure_enumeration_timing.py); timing
assertions would be too noisy here."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from tests.factories import PASSWORD, DoctorFactory, SpecialtyFactory, UserFactory

pytestmark = pytest.mark.django_db

RESET = "/api/v1/auth/password/reset/"
RESEND = "/api/v1/auth/email/resend/"
REGISTER = "/api/v1/auth/register/patient/"


def shape(sql: str) -> str:
    """The statement with its literals (emails, ids, times) blanked out."""
    return re.sub(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b", "?", sql)


def request_work(client, url: str, body: dict, outbox):
    """What one request did: its answer, its SQL statements, the tasks it enqueued."""
    before = set(DBTaskResult.objects.values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, body)
    enqueued = DBTaskResult.objects.exclude(pk__in=before)
    assert outbox == [], "no mail is sent in the request"
    return (
        response.status_code,
        response.json(),
        [shape(query["sql"]) for query in queries.captured_queries],
        [(task.task_path, sorted(task.args_kwargs["kwargs"])) for task in enqueued],
    )


@pytest.mark.parametrize(
    ("url", "mailed"),
    [
        (RESET, ["active@example.com", "unconfirmed@example.com"]),
        (RESEND, ["unconfirmed@example.com"]),
    ],
)
def test_reset_and_resend_do_the_same_work_for_every_kind_of_email(
    api_client, outbox, run_tasks, url, mailed
):
    UserFactory(email="active@example.com")
    UserFactory(email="unconfirmed@example.com", email_confirmed_at=None)
    UserFactory(email="inactive@example.com", is_active=False)
    emails = [
        "active@example.com",
        "unconfirmed@example.com",
        "inactive@example.com",
        "nobody@example.com",
    ]
    work = [request_work(api_client, url, {"email": email}, outbox) for email in emails]

    status, body, queries, tasks = work[0]
    assert status == 202
    assert len(tasks) == 1
    assert queries, "the enqueue is a write in the request"
    for other in work[1:]:
        assert other == (status, body, queries, tasks)

    # The worker is where the difference is made, away from the caller's clock.
    assert run_tasks() == len(emails)
    assert sorted(message.to[0] for message in outbox) == mailed


def test_registering_a_taken_email_answers_and_enqueues_like_a_new_one(
    api_client, outbox, run_tasks
):
    UserFactory(email="taken@example.com")
    payload = {
        "password": PASSWORD,
        "first_name": "Lea",
        "last_name": "Roth",
        "date_of_birth": "1992-07-07",
    }
    taken = request_work(api_client, REGISTER, {**payload, "email": "taken@example.com"}, outbox)
    new = request_work(api_client, REGISTER, {**payload, "email": "new@example.com"}, outbox)

    assert (taken[0], new[0]) == (201, 201)
    assert taken[1] == {**new[1], "email": "taken@example.com"}
    assert (
        taken[3]
        == new[3]
        == [("registration.tasks.send_registration_email", ["email", "license_taken", "user_id"])]
    )
    # Both hash the password and try the same INSERT first; only the new one then creates the
    # profile and role rows. docs/security.md has the measured difference.
    insert_user = next(sql for sql in new[2] if sql.startswith('INSERT INTO "accounts_user"'))
    assert insert_user in taken[2]

    assert run_tasks() == 2
    assert sorted(message.to[0] for message in outbox) == ["new@example.com", "taken@example.com"]


DOCTOR_REGISTER = "/api/v1/auth/register/doctor/"


def test_doctor_registration_answers_alike_whatever_is_taken(api_client, outbox, run_tasks):
    """License numbers are public: a refusal for a taken one would tell, for any email sent
    with it, whether that email has an account. Taken or new, email and license alike, the
    answer, its headers and the enqueued task are the same."""
    UserFactory(email="taken@example.com")
    DoctorFactory(license_number="PUBLIC-1")
    specialty = SpecialtyFactory(slug="cardiology")
    payload = {
        "password": PASSWORD,
        "first_name": "Hanna",
        "last_name": "Herz",
        "specialty": specialty.slug,
    }
    cases = [
        ("new@example.com", "NEW-1"),
        ("taken@example.com", "NEW-2"),
        ("other@example.com", "PUBLIC-1"),
        ("taken@example.com", "PUBLIC-1"),
    ]
    answers = []
    for email, license_number in cases:
        body = {**payload, "email": email, "license_number": license_number}
        before = set(DBTaskResult.objects.values_list("pk", flat=True))
        response = api_client.post(DOCTOR_REGISTER, body)
        enqueued = DBTaskResult.objects.exclude(pk__in=before)
        answers.append(
            (
                response.status_code,
                {**response.json(), "email": None},
                sorted(k for k in response.headers if k.lower() not in ("x-request-id", "date")),
                [(t.task_path, sorted(t.args_kwargs["kwargs"])) for t in enqueued],
            )
        )
    assert answers[0][0] == 201
    assert all(answer == answers[0] for answer in answers[1:]), answers

    assert run_tasks() == 4
    subjects = sorted((m.to[0], m.subject) for m in outbox)
    assert subjects == [
        ("new@example.com", "Confirm your CareSlot email address"),
        ("other@example.com", "Your CareSlot doctor registration could not be completed"),
        ("taken@example.com", "Someone tried to register with your CareSlot email address"),
        ("taken@example.com", "Someone tried to register with your CareSlot email address"),
    ]
