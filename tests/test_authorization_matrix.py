"""The authorization matrix, generated from the OpenAPI file: every operation x every role must
have a documented expected status. The rows themselves run in tests/*/test_authorization.py
(with the world each table needs); a new endpoint without a row fails here."""

import importlib
from pathlib import Path

import pytest
import yaml

from tests.authorization_operations import ROW_OPERATIONS
from tests.world import ROLES

SCHEMA = yaml.safe_load((Path(__file__).parents[1] / "api_schema" / "openapi.yaml").read_text())
METHODS = ("get", "post", "put", "patch", "delete")
OPERATIONS = sorted(
    f"{method.upper()} {path}"
    for path, item in SCHEMA["paths"].items()
    for method in item
    if method in METHODS
)
TABLES = [
    "accounts",
    "directory",
    "appointments",
    "loyalty",
    "reviews",
    "records",
    "calendars",
    "waitlist",
    "administration",
    "webhooks",
]


def all_rows() -> dict:
    rows = {}
    for table in TABLES:
        module = importlib.import_module(f"tests.{table}.test_authorization")
        for endpoint in module.ENDPOINTS:
            assert endpoint.name not in rows, f"duplicate row name {endpoint.name}"
            rows[endpoint.name] = endpoint
    return rows


ROWS = all_rows()
ROWS_BY_OPERATION: dict[str, list] = {}
for name, operation in ROW_OPERATIONS.items():
    ROWS_BY_OPERATION.setdefault(operation, []).append(ROWS[name])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_documents_a_status_for_every_role(operation, role):
    rows = ROWS_BY_OPERATION.get(operation)
    assert rows, f"{operation} has no row in any tests/*/test_authorization.py table"
    for row in rows:
        status = row.expected.get(role)
        assert isinstance(status, int), f"{row.name}: no expected status for {role}"
        assert 200 <= status < 600


def test_every_row_is_mapped_to_an_operation():
    assert set(ROWS) == set(ROW_OPERATIONS)


def test_the_matrix_is_the_whole_api():
    documented = {operation for operation in ROW_OPERATIONS.values() if operation in OPERATIONS}
    assert documented == set(OPERATIONS)
