"""A real PostgreSQL streaming replica for the replica tests (docs/scaling.md).

`CARESLOT_TEST_REPLICA_URL` names a hot standby streaming from the test database's server
(`make replica-test` starts one with scripts/scale.sh, runs these tests and removes it). The
test settings make `replica` a mirror of the test database; the `streaming_replica` fixture
points that alias at the standby's copy of the test database for one test, so the router's
replica reads really go to a server in recovery. Without the variable the ordinary suite
deselects these tests.
"""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import environ
import pytest
from django.db import connections

REPLICA_URL = os.environ.get("CARESLOT_TEST_REPLICA_URL", "")


def _needs_replica(item) -> bool:
    return item.path.is_relative_to(os.path.dirname(__file__))


def pytest_collection_modifyitems(config, items) -> None:
    """Without a standby there is no `replica` alias to run on: the ordinary suite leaves
    these tests out (CI runs them in their own step, `make replica-test`)."""
    if REPLICA_URL:
        return
    deselected = [item for item in items if _needs_replica(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not _needs_replica(item)]


@dataclass
class Statement:
    alias: str
    sql: str
    in_recovery: bool


@dataclass
class Replica:
    """The standby, and every statement run on either alias with whether its own connection
    was in recovery (asked on that very connection, right after the statement)."""

    statements: list[Statement] = field(default_factory=list)

    def caught_up(self, timeout: float = 30) -> None:
        """Wait until the standby has replayed everything the primary wrote so far."""
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()")
            target = cursor.fetchone()[0]
        deadline = time.monotonic() + timeout
        with connections["replica"].cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
                if cursor.fetchone()[0]:
                    return
                assert time.monotonic() < deadline, "the replica did not catch up"
                time.sleep(0.05)

    @contextmanager
    def replay_paused(self) -> Iterator[None]:
        """The standby keeps receiving WAL but applies none of it: it lags by everything
        written meanwhile."""
        self.caught_up()
        with connections["replica"].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_pause()")
            while True:
                cursor.execute("SELECT pg_get_wal_replay_pause_state()")
                if cursor.fetchone()[0] == "paused":
                    break
                time.sleep(0.02)
        try:
            yield
        finally:
            with connections["replica"].cursor() as cursor:
                cursor.execute("SELECT pg_wal_replay_resume()")

    def ran(self, since: int = 0, *, touching: str = "") -> list[Statement]:
        return [s for s in self.statements[since:] if touching in s.sql]

    def _record(self, alias: str):
        def wrapper(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            raw = context["connection"].connection
            in_recovery = raw.execute("SELECT pg_is_in_recovery()").fetchone()[0]
            self.statements.append(Statement(alias, sql, in_recovery))
            return result

        return wrapper


@pytest.fixture
def streaming_replica() -> Iterator[Replica]:
    if not REPLICA_URL:
        pytest.skip(
            "CARESLOT_TEST_REPLICA_URL is not set: `make replica-test` starts a streaming "
            "replica and runs these tests against it"
        )
    server = environ.Env.db_url_config(REPLICA_URL)
    replica = connections["replica"]
    original = replica.settings_dict
    replica.close()
    # The standby's copy of the test database (same name), and still a mirror: the test
    # database is created and flushed on the primary only.
    default = connections["default"].settings_dict
    replica.settings_dict = {
        **default,
        "HOST": server["HOST"],
        "PORT": server["PORT"],
        "TEST": {**default["TEST"], "MIRROR": "default"},
    }
    state = Replica()
    try:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone()[0], f"{REPLICA_URL} is not a standby"
        state.caught_up()  # the test database's tables, created before this test
        with (
            connections["default"].execute_wrapper(state._record("default")),
            replica.execute_wrapper(state._record("replica")),
        ):
            yield state
    finally:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")  # whatever a failed test left
        replica.close()
        replica.settings_dict = original
