"""The authorization matrix, generated from the OpenAPI file: every operation x every role must
have a documented expected status. The rows themselves run in tests/*/test_authorization.py
(with the world each table needs); a new endpoint without a row fails here."""

import importlib
from pathlib import Path

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
    "patients",
    "directory",
    "appointments",
    "scheduling",
    "loyalty",
    "reviews",
    "records",
    "calendars",
    "waitlist",
    "administration",
    "webhooks",
    "integrations",
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


# Every status a row may expect; anything else is a typo (a 2000, a 430) the tables would
# only find by chance.
STATUSES = {200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 410, 415, 422, 429, 503}


def test_every_operation_has_a_row():
    missing = sorted(set(OPERATIONS) - set(ROWS_BY_OPERATION))
    assert not missing, f"operations with no row in any tests/*/test_authorization.py: {missing}"


def test_every_row_expects_a_known_status_for_every_role():
    wrong = {
        f"{name}[{role}]": status
        for name, row in ROWS.items()
        for role, status in row.expected.items()
        if status not in STATUSES
    }
    missing = {name: sorted(set(ROLES) - set(row.expected)) for name, row in ROWS.items()}
    assert not {name: roles for name, roles in missing.items() if roles}
    assert not wrong, wrong


def test_every_row_is_mapped_to_an_operation():
    assert set(ROWS) == set(ROW_OPERATIONS)


def test_no_row_names_an_operation_the_schema_no_longer_has():
    """A stale row (its endpoint removed or renamed) fails here instead of dropping out. The
    one kind of row outside the schema on purpose: a method the path refuses (405), such as a
    PUT on the append-only history."""
    stale = {
        name: operation
        for name, operation in ROW_OPERATIONS.items()
        if operation not in OPERATIONS
        and set(ROWS[name].expected.values()) - {405, 401}  # 401: anonymous, before the method
    }
    assert not stale, f"rows for operations not in api_schema/openapi.yaml: {stale}"
