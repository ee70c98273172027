"""The read replica and PgBouncer settings (docs/scaling.md), loaded in a subprocess as each
environment would load them; docker-compose.scale.yml's variables must all be understood."""

import configparser
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.config.django_process import run_django

ROOT = Path(__file__).resolve().parents[2]
DUMP = """
import json
from django.conf import settings
print(json.dumps({
    alias: {
        "HOST": db["HOST"], "PORT": db["PORT"], "NAME": db["NAME"],
        "OPTIONS": db.get("OPTIONS", {}),
        "DISABLE_SERVER_SIDE_CURSORS": db.get("DISABLE_SERVER_SIDE_CURSORS", False),
        "CONN_MAX_AGE": db.get("CONN_MAX_AGE"),
        "MIRROR": db.get("TEST", {}).get("MIRROR"),
    }
    for alias, db in settings.DATABASES.items()
} | {"ROUTERS": settings.DATABASE_ROUTERS, "STICKY": settings.REPLICA_STICKY_SECONDS}))
"""
OURS = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "DATABASE_PGBOUNCER",
    "DATABASE_REPLICA_PGBOUNCER",
    "DATABASE_PREPARED_STATEMENTS",
    "CARESLOT_TEST_REPLICA_URL",
    "REPLICA_STICKY_SECONDS",
    "CACHE_URL",
    "CONN_MAX_AGE",
)
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "s" * 50,
    "CACHE_URL": "redis://r:6379/0",
    "DATABASE_URL": "postgres://postgres@db:5432/careslot",
}
REPLICA = "postgres://postgres@replica:5432/careslot"


def load(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_django(DUMP, env, drop=OURS)


def databases(env: dict[str, str]) -> dict:
    result = load(env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_without_a_replica_there_is_only_the_primary():
    loaded = databases(PRODUCTION)
    assert set(loaded) == {"default", "ROUTERS", "STICKY"}
    assert loaded["ROUTERS"] == ["common.db_routing.ReplicaRouter"]
    assert loaded["default"]["OPTIONS"] == {}
    assert loaded["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_a_replica_url_adds_the_replica_alias_with_the_primarys_connection_settings():
    loaded = databases({**PRODUCTION, "DATABASE_REPLICA_URL": REPLICA, "CONN_MAX_AGE": "60"})
    assert [loaded["replica"][k] for k in ("HOST", "PORT", "NAME")] == ["replica", 5432, "careslot"]
    assert loaded["replica"]["CONN_MAX_AGE"] == loaded["default"]["CONN_MAX_AGE"] == 60
    assert loaded["replica"]["MIRROR"] is None  # a real server outside tests
    assert loaded["STICKY"] == 10


def test_pgbouncer_turns_off_prepared_statements_and_server_side_cursors_where_it_stands():
    loaded = databases({**PRODUCTION, "DATABASE_REPLICA_URL": REPLICA, "DATABASE_PGBOUNCER": "1"})
    assert loaded["default"]["OPTIONS"] == {"prepare_threshold": None}
    assert loaded["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert loaded["replica"]["DISABLE_SERVER_SIDE_CURSORS"] is False  # read directly
    loaded = databases(
        {**PRODUCTION, "DATABASE_REPLICA_URL": REPLICA, "DATABASE_REPLICA_PGBOUNCER": "1"}
    )
    assert loaded["replica"]["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_prepared_statements_apply_to_both_aliases():
    loaded = databases(
        {**PRODUCTION, "DATABASE_REPLICA_URL": REPLICA, "DATABASE_PREPARED_STATEMENTS": "true"}
    )
    for alias in ("default", "replica"):
        assert loaded[alias]["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}


def test_prepared_statements_through_pgbouncer_are_refused():
    result = load(
        {**PRODUCTION, "DATABASE_PGBOUNCER": "true", "DATABASE_PREPARED_STATEMENTS": "true"}
    )
    assert result.returncode != 0
    assert "DATABASE_PREPARED_STATEMENTS cannot be used with DATABASE_PGBOUNCER" in result.stderr


@pytest.mark.parametrize("variable", ["DATABASE_REPLICA_URL", "CARESLOT_TEST_REPLICA_URL"])
def test_in_tests_the_replica_mirrors_the_test_database(variable):
    loaded = databases(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/careslot_x",
            variable: "postgres://postgres@127.0.0.1:5433/careslot_x",
        }
    )
    assert loaded["replica"]["MIRROR"] == "default"
    assert databases({"DJANGO_SETTINGS_MODULE": "config.settings.test"}).keys() == {
        "default",
        "ROUTERS",
        "STICKY",
    }


def scale_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.scale.yml").read_text())


def resolve(value) -> str:
    value = str(value)
    value = re.sub(r"\$\{SECRET_KEY:\?[^}]*\}", "compose-test-secret-" + "x" * 40, value)
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def test_docker_compose_scale_runs_two_apis_and_two_workers_on_pgbouncer_and_a_replica():
    services = scale_compose()["services"]
    apis = [name for name in services if name.startswith("api-")]
    workers = [name for name in services if name.startswith("worker-")]
    assert len(apis) == len(workers) == 2
    assert {services[name]["ports"][0] for name in apis} == {
        "127.0.0.1:8101:8000",
        "127.0.0.1:8102:8000",
    }
    for name in apis + workers:
        env = {key: resolve(value) for key, value in services[name]["environment"].items()}
        assert env["DATABASE_URL"].startswith("postgres://postgres@pgbouncer:6432/")
        assert env["CACHE_URL"] == "redis://redis:6379/0"  # shared by every instance
        loaded = databases(env)  # production settings accept every variable
        assert loaded["default"]["HOST"] == "pgbouncer"
        assert loaded["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
        assert loaded["default"]["OPTIONS"] == {"prepare_threshold": None}
        assert loaded["replica"]["HOST"] == "replica"
        assert set(env) <= {*OURS, *PRODUCTION_ONLY}, set(env) - {*OURS, *PRODUCTION_ONLY}
    assert "worker" in services["worker-1"]["command"]


PRODUCTION_ONLY = {
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "EMAIL_URL",
    "SECURE_SSL_REDIRECT",
    "TRUSTED_PROXY_COUNT",
}


def test_docker_compose_scale_replica_streams_from_the_primary():
    services = scale_compose()["services"]
    script = services["replica"]["entrypoint"][-1]
    assert "pg_basebackup -h primary" in script
    assert " -R " in script  # standby.signal and primary_conninfo
    assert "hot_standby=on" in script
    assert "wal_level=replica" in services["primary"]["command"]
    hba = (ROOT / "deploy/postgres/10-allow-replication.sh").read_text()
    assert "host replication all all" in hba
    mounted = [v.split(":")[1] for v in services["primary"]["volumes"] if v.startswith("./")]
    assert mounted == ["/docker-entrypoint-initdb.d/10-allow-replication.sh"]


def test_pgbouncer_pools_transactions_in_front_of_the_primary():
    ini = configparser.ConfigParser()
    ini.read(ROOT / "deploy/pgbouncer/pgbouncer.ini")
    assert ini["pgbouncer"]["pool_mode"] == "transaction"
    assert ini["databases"]["*"] == "host=primary port=5432"
    assert int(ini["pgbouncer"]["listen_port"]) == 6432
    pgbouncer = scale_compose()["services"]["pgbouncer"]
    assert (
        "./deploy/pgbouncer/pgbouncer.ini:/etc/pgbouncer/pgbouncer.ini:ro" in pgbouncer["volumes"]
    )
