"""Authorization tables: one row per endpoint, one expected status per role."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection

from tests.authorization_operations import ROW_OPERATIONS
from tests.world import ROLES, World


@dataclass
class Endpoint:
    name: str
    method: str
    path: Callable[[World], str]
    expected: dict[str, int]
    body: Callable[[World], dict] = field(default=lambda w: {})
    # Tables a refused call of this row may still write, each for a documented reason.
    refusal_writes: frozenset[str] = frozenset()


def expect(
    default: int, *, anonymous: int = 401, roles: list[str] = ROLES, **by_role: int
) -> dict[str, int]:
    """Every role gets `default` unless named; anonymous callers get 401 unless named.
    `roles` lets a table add actors of its own to the shared ones."""
    unknown = set(by_role) - set(roles)
    assert not unknown, unknown
    return {role: by_role.get(role, default) for role in roles} | {"anonymous": anonymous}


def cases(endpoints: list[Endpoint], roles: list[str] = ROLES) -> list:
    import pytest

    return [
        pytest.param(endpoint, role, id=f"{endpoint.name}[{role}]")
        for endpoint in endpoints
        for role in roles
    ]


def path_matches(operation: str, method: str, path: str) -> bool:
    """Whether `METHOD /path` is an instance of an OpenAPI operation like `GET /a/{id}/`."""
    op_method, template = operation.split(" ", 1)
    pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
    return op_method == method and re.match(pattern, path.split("?", 1)[0]) is not None


def call(client_for, world: World, endpoint: Endpoint, role: str, *, before_send=None):
    """Send the row's request as `role`; `before_send()` runs once the path and body are made
    (making them may write: a row's target is sometimes created on demand)."""
    path = endpoint.path(world)
    operation = ROW_OPERATIONS[endpoint.name]
    assert path_matches(operation, endpoint.method, path), (endpoint.name, operation, path)
    body = None if endpoint.method in ("GET", "DELETE") else endpoint.body(world)
    # After the path and body: making them may add the row's actor to the world (a table's
    # own actors, made on first use).
    client = client_for(world.actor(role))
    method = getattr(client, endpoint.method.lower())
    if before_send is not None:
        before_send()
    if body is None:
        return method(path)
    return method(path, body, format="json")


def table_writes() -> dict[str, int]:
    """Rows inserted, updated or deleted per table so far in this transaction (PostgreSQL's
    own counters): the test's transaction holds every write a request made."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
        )
        return {table: count for table, count in cursor.fetchall() if count}


def check(client_for, world: World, endpoint: Endpoint, role: str):
    """`call`, then: the status is exactly the row's, and a refused write changed nothing."""
    before = {}
    response = call(
        client_for, world, endpoint, role, before_send=lambda: before.update(table_writes())
    )
    assert response.status_code == endpoint.expected[role], response.content
    assert_refusal_wrote_nothing(endpoint, role, response, before)
    return response


def assert_refusal_wrote_nothing(endpoint: Endpoint, role: str, response, before: dict) -> None:
    """A write the API refused (4xx) left every table as it was (`before`: `table_writes()`
    taken just before the request)."""
    if endpoint.method == "GET" or response.status_code < 400:
        return
    after = table_writes()
    written = {
        table: after[table] - before.get(table, 0)
        for table in after
        if after[table] != before.get(table, 0) and table not in endpoint.refusal_writes
    }
    assert not written, f"{endpoint.name} was refused to {role} but wrote {written}"
