"""OPTIONS on every path of the schema answers without a server error, for anyone.

DRF answers OPTIONS itself (SimpleMetadata), describing the view's serializer; a view that
declares none used to answer 500 (found by review on `/users/{id}/roles/`)."""

import re
import uuid

import pytest
import yaml

from accounts.models import Role
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

with open("api_schema/openapi.yaml") as schema_file:
    PATHS = sorted(yaml.safe_load(schema_file)["paths"])


@pytest.mark.parametrize("role", [None, Role.PLATFORM_ADMIN])
def test_options_never_answers_a_server_error(client_for, role):
    client = client_for(user_with_role(role) if role else None)
    answers = {}
    for path in PATHS:
        concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        answers[path] = client.options(concrete).status_code
    assert {path: status for path, status in answers.items() if status >= 500} == {}
