"""The read-replica router's decisions (docs/scaling.md), without a replica server: which alias a
read inside `replica_reads()` gets. tests/scaling proves the same on a real streaming replica."""

import pytest
from django.db import router

from common import db_routing
from common.db_routing import (
    mark_client_wrote,
    replica_alias,
    replica_reads,
    request_routing,
)
from scheduling.models import Slot


@pytest.fixture
def replica(monkeypatch):
    """As if DATABASE_REPLICA_URL were set (no query is made)."""
    monkeypatch.setattr(db_routing, "replica_configured", lambda: True)


def test_without_a_replica_every_read_is_the_primarys():
    with replica_reads():
        assert replica_alias() == "default"
        assert router.db_for_read(Slot) == "default"
    assert router.db_for_read(Slot) == "default"


def test_only_reads_inside_replica_reads_go_to_the_replica(replica):
    with request_routing():
        assert router.db_for_read(Slot) == "default"
        with replica_reads():
            assert router.db_for_read(Slot) == "replica"
        assert router.db_for_read(Slot) == "default"


def test_after_a_write_the_request_reads_the_primary(replica):
    with request_routing(), replica_reads():
        assert router.db_for_read(Slot) == "replica"
        assert router.db_for_write(Slot) == "default"
        assert router.db_for_read(Slot) == "default"


def test_a_client_that_wrote_recently_reads_the_primary(replica, settings):
    settings.REPLICA_STICKY_SECONDS = 10
    mark_client_wrote("writer")
    with request_routing(), replica_reads(client_id="writer"):
        assert router.db_for_read(Slot) == "default"
    with request_routing(), replica_reads(client_id="someone-else"):
        assert router.db_for_read(Slot) == "replica"


def test_a_failed_replica_rests_and_its_reads_go_to_the_primary(replica, monkeypatch):
    monkeypatch.setattr(db_routing, "_replica_down_until", 0.0)
    with request_routing(), replica_reads():
        assert router.db_for_read(Slot) == "replica"
        monkeypatch.setattr(db_routing, "_replica_down_until", float("inf"))
        assert router.db_for_read(Slot) == "default"


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "scheduling", model_name="slot")
    assert not router.allow_migrate("replica", "scheduling", model_name="slot")
