"""A 500's traceback keeps its frames and exception types but not a database error's text,
whose DETAIL quotes row values (issue 28, finding 3)."""

import logging

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from tests.common.test_no_patient_data_in_logs import MARK, LogCapture
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_logged_database_error_names_its_type_but_not_the_row():
    UserFactory(email=f"{MARK}@example.org")
    with LogCapture() as capture:
        try:
            with transaction.atomic():
                User.objects.create(email=f"{MARK}@example.org", password="x")
        except IntegrityError:
            logging.getLogger("django.request").exception("Internal Server Error: %s", "/x/")
    for name in ("json", "plain"):
        text = capture.text(name)
        assert "django.db.utils.IntegrityError" in text
        assert "psycopg.errors.UniqueViolation" in text
        assert "test_database_error_text.py" in text  # the frames are kept
        assert MARK not in text, f"the row's values reached the {name} log"


def test_other_exceptions_keep_their_text():
    with LogCapture() as capture:
        try:
            raise ValueError("a plain programming error")
        except ValueError:
            logging.getLogger("careslot.test").exception("failed")
    assert "a plain programming error" in capture.text("plain")
