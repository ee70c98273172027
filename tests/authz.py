"""Authorization tables: one row per endpoint, one expected status per role."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.authorization_operations import ROW_OPERATIONS
from tests.world import ROLES, World


@dataclass
class Endpoint:
    name: str
    method: str
    path: Callable[[World], str]
    expected: dict[str, int]
    body: Callable[[World], dict] = field(default=lambda w: {})


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


def call(client_for, world: World, endpoint: Endpoint, role: str):
    client = client_for(world.actor(role))
    method = getattr(client, endpoint.method.lower())
    path = endpoint.path(world)
    operation = ROW_OPERATIONS[endpoint.name]
    assert path_matches(operation, endpoint.method, path), (endpoint.name, operation, path)
    if endpoint.method in ("GET", "DELETE"):
        return method(path)
    return method(path, endpoint.body(world), format="json")
