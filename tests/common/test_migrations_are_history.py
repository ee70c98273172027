"""Migrations are history: they hold their own SQL and never run live code.

A migration that imports the code its SQL came from gives a new database whatever that code says
today, while databases migrated earlier keep what it said then. So no migration imports project
code beyond the model-state references Django's migration writer emits (a manager, a validator,
a constraint class), every operation is Django's own, and a database upgraded from an older
state ends with the same triggers, functions, constraints and indexes as one migrated from empty.
"""

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from reports import rollups

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"
MIGRATIONS = sorted(BACKEND.glob("*/migrations/0*.py"))
PROJECT_PACKAGES = {path.name for path in BACKEND.iterdir() if (path / "__init__.py").exists()}
# What Django's migration writer itself writes into a migration for model state.
WRITER_REFERENCES = {"accounts.models", "clinics.models", "common.constraints"}


def project_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [
            f"{'from ' if isinstance(node, ast.ImportFrom) else ''}{name}"
            for name in names
            if name.split(".")[0] in PROJECT_PACKAGES
        ]
    return found


def test_there_are_migrations_to_read():
    assert len(MIGRATIONS) > 40


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_a_migration_imports_no_project_code(path):
    allowed = {name for name in project_imports(path) if name in WRITER_REFERENCES}
    assert set(project_imports(path)) == allowed


def test_every_operation_is_djangos_own():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    foreign = [
        f"{app}.{name}: {type(operation).__module__}.{type(operation).__name__}"
        for (app, name), migration in loader.disk_migrations.items()
        if app in PROJECT_PACKAGES
        for operation in migration.operations
        if not type(operation).__module__.startswith("django.")
    ]
    assert foreign == []


def _normalised(sql: str) -> str:
    return " ".join(sql.split())


def test_rebuild_runs_the_upserts_the_trigger_migration_backfills_with():
    migration = importlib.import_module("reports.migrations.0002_rollup_triggers")
    live = [_normalised(upsert) for _, upsert in rollups._upserts(rollups.EVERYTHING)]
    frozen = [_normalised(sql) for sql in migration.BACKFILL if not sql.startswith("LOCK")]
    assert frozen == live


CATALOGUE = {
    "triggers": """
        SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT t.tgisinternal AND n.nspname = 'public' ORDER BY 1, 2""",
    "functions": """
        SELECT p.proname, regexp_replace(p.prosrc, '\\s+', ' ', 'g')
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND p.prolang = (SELECT oid FROM pg_language
            WHERE lanname = 'plpgsql') ORDER BY 1""",
    "constraints": """
        SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' ORDER BY 1, 2""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' ORDER BY 1, 2""",
}


def catalogue(dsn: str) -> dict[str, list]:
    with psycopg.connect(dsn, autocommit=True) as database:
        return {name: database.execute(sql).fetchall() for name, sql in CATALOGUE.items()}


def manage(database_url: str, *args: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(BACKEND)}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    subprocess.run(
        [sys.executable, str(BACKEND / "manage.py"), *args, "-v0"],
        check=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )


@pytest.fixture
def older_database():
    """An empty database, made at the state before the report rollups existed."""
    settings = connection.settings_dict
    server = f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}"
    name = f"{settings['NAME']}_older"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
def test_an_upgraded_database_ends_as_one_migrated_from_empty(older_database):
    manage(older_database, "migrate", "reports", "0001_initial")
    manage(older_database, "migrate")
    settings = connection.settings_dict
    fresh = (
        f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    )
    upgraded = catalogue(older_database)
    assert upgraded == catalogue(fresh)
    triggers = {name for _, name, _ in upgraded["triggers"]}
    assert {"reports_rollup_inserted", "loyalty_pointstransaction_append_only"} <= triggers
    assert len(upgraded["constraints"]) > 100
