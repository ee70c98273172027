"""`make backup-check`: the restore drill. Seed a database, back it up with scripts/backup.sh,
restore the archive into a fresh database with scripts/restore.sh, and prove nothing was lost:

- every table: the same row count and the same content (an md5 over its rows);
- the append-only ledgers: points per patient and in total, medical history entries and their
  amendments, payment events' amounts (Decimal) per status change;
- the schema: indexes, constraints, triggers (the append-only guards), extensions, sequences,
  applied migrations;
- the API: a gunicorn on each database answers a sample of GETs by every role (tokens minted
  once, for the same users) with the same status and the same JSON.

Prints each difference and exits 1 if there is any. The databases are `<name>_source` and
`<name>_restored` on the server of --server (recreated; dropped at the end unless --keep).
`--damage SQL` runs SQL on the restored database first (the drill must then fail, naming it).

Usage: python scripts/backup_restore_check.py [--name careslot_backup_check] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import psycopg
from process_group import stop

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
MANAGE = [str(PYTHON), str(ROOT / "backend" / "manage.py")]
SEED = ["--doctors", "8", "--clinics", "3", "--patients", "60", "--slots", "800"]
SEED += ["--appointments", "300", "--seed", "23"]


def log(message: str) -> None:
    print(f"[backup-check {time.strftime('%H:%M:%S')}] {message}", flush=True)


def app_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "SECRET_KEY": os.environ.get("BACKUP_CHECK_SECRET_KEY") or secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP over loopback
        "ALLOW_PER_PROCESS_CACHE": "true",  # one gunicorn worker each; no throttled call
        "JWT_ACCESS_MINUTES": "60",
        "EMAIL_URL": "dummymail://",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def recreate(server: str, name: str, *, create: bool) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


# -- what must survive --------------------------------------------------------------------------


def facts(url: str) -> dict[str, object]:
    """Everything the drill compares, keyed by a name that says what it is."""
    found: dict[str, object] = {}
    with psycopg.connect(url) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        found["tables"] = tables
        for table in tables:
            count, digest = conn.execute(
                f"SELECT COUNT(*), md5(COALESCE(string_agg(md5(t::text), '' "
                f"ORDER BY md5(t::text)), '')) FROM \"{table}\" t"
            ).fetchone()
            found[f"rows of {table}"] = count
            found[f"content of {table}"] = digest
        found["points ledger total"] = conn.execute(
            "SELECT COALESCE(SUM(amount), 0) FROM loyalty_pointstransaction"
        ).fetchone()[0]
        found["points ledger per patient"] = dict(
            conn.execute(
                "SELECT patient_id::text, SUM(amount) FROM loyalty_pointstransaction "
                "GROUP BY patient_id"
            ).fetchall()
        )
        found["points balances"] = dict(
            conn.execute("SELECT patient_id::text, balance FROM loyalty_pointsaccount").fetchall()
        )
        found["history entries, amendments"] = conn.execute(
            "SELECT COUNT(*), COUNT(amends_id) FROM patient_history_entries"
        ).fetchone()
        found["payment events per transition"] = {
            f"{src}->{dst}": (n, Decimal(total))
            for src, dst, n, total in conn.execute(
                "SELECT from_status, to_status, COUNT(*), SUM(amount) "
                "FROM appointments_paymentevent GROUP BY 1, 2"
            )
        }
        found["payment events total"] = Decimal(
            conn.execute(
                "SELECT COALESCE(SUM(amount), 0) FROM appointments_paymentevent"
            ).fetchone()[0]
        )
        found["indexes"] = sorted(
            definition(d)
            for (d,) in conn.execute("SELECT indexdef FROM pg_indexes WHERE schemaname='public'")
        )
        found["constraints"] = sorted(
            (table, name, definition(d))
            for table, name, d in conn.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
            )
        )
        found["triggers"] = sorted(
            conn.execute(
                "SELECT tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger "
                "WHERE NOT tgisinternal"
            ).fetchall()
        )
        found["extensions"] = sorted(
            conn.execute("SELECT extname, extversion FROM pg_extension").fetchall()
        )
        found["sequences"] = sorted(
            conn.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
            ).fetchall()
        )
    return found


def definition(sql: str) -> str:
    """An index or constraint definition without casts, brackets and spaces. PostgreSQL prints
    a restored `kind IN ('a', 'b')` on a varchar as `ARRAY[('a'::varchar)::text, ...]` where the
    original read `(ARRAY['a'::varchar, ...])::text[]`: the same condition, other words."""
    return re.sub(r"[()\s]", "", re.sub(r"::[a-z ]+(\[\])?", "", sql))


def compare_facts(source: dict, restored: dict) -> list[str]:
    differences = []
    for key in source.keys() | restored.keys():
        if source.get(key) != restored.get(key):
            differences.append(
                f"{key}: source {_short(source.get(key))}, restored {_short(restored.get(key))}"
            )
    return sorted(differences)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


# -- the API on each database -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, token: str | None) -> tuple[int, bytes]:
    # One Host for both: the answers' absolute links must not differ by the servers' ports.
    headers = {"Accept": "application/json", "Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def start_api(env: dict, log_file: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    with log_file.open("w") as out:
        server = subprocess.Popen(
            [
                *(str(ROOT / ".venv" / "bin" / "gunicorn"), "--chdir", "backend", "config.wsgi"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--log-level", "warning"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log_file.read_text()}")
        try:
            if get(port, "/readyz", None)[0] == 200:
                return server, port
        except OSError:
            pass
        time.sleep(0.3)
    stop(server)
    raise SystemExit(f"gunicorn was not ready:\n{log_file.read_text()}")


def compare_api(source_url: str, restored_url: str, plan: list[dict], work: Path) -> list[str]:
    servers = []
    try:
        for label, url in (("source", source_url), ("restored", restored_url)):
            servers.append(start_api(app_env(url), work / f"gunicorn-{label}.log"))
        (_, source_port), (_, restored_port) = servers
        differences, answered = [], 0
        for request in plan:
            path, token = request["path"], request.get("token")
            # One right after the other: answers that depend on the clock see the same minute.
            source = get(source_port, path, token)
            restored = get(restored_port, path, token)
            who = request.get("user", "anonymous")
            if source[0] != 200:
                differences.append(f"GET {path} as {who}: the source answered {source[0]}")
            elif source != restored:
                differences.append(
                    f"GET {path} as {who}: source {source[0]} {_short(source[1])}, "
                    f"restored {restored[0]} {_short(restored[1])}"
                )
            else:
                answered += 1
        log(f"API: {answered} of {len(plan)} answers identical on both databases")
        return differences
    finally:
        for server, _ in servers:
            stop(server)


# -- the drill --------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get("BACKUP_CHECK_SERVER", "postgres://postgres@127.0.0.1:5432"),
        help="PostgreSQL server URL without a database name",
    )
    parser.add_argument("--name", default="careslot_backup_check", help="Database name prefix")
    parser.add_argument("--keep", action="store_true", help="Leave both databases")
    parser.add_argument(
        "--damage",
        metavar="SQL",
        help="Run SQL on the restored database before comparing: see the drill catch a loss",
    )
    args = parser.parse_args()
    source_url = f"{args.server}/{args.name}_source"
    restored_url = f"{args.server}/{args.name}_restored"
    work = Path(tempfile.mkdtemp(prefix="careslot-backup-check-"))
    started = time.monotonic()
    try:
        differences = drill(args, source_url, restored_url, work)
    finally:
        if not args.keep:
            recreate(args.server, f"{args.name}_source", create=False)
            recreate(args.server, f"{args.name}_restored", create=False)
            shutil.rmtree(work, ignore_errors=True)
    for difference in differences:
        print(f"LOST OR CHANGED: {difference}", flush=True)
    took = time.monotonic() - started
    if differences:
        log(f"FAILED: {len(differences)} difference(s) after backup and restore ({took:.0f}s)")
        return 1
    log(f"OK: the restored database holds everything the source did ({took:.0f}s)")
    return 0


def drill(args, source_url: str, restored_url: str, work: Path) -> list[str]:
    # Tokens in the plan are signed with this SECRET_KEY; both servers get it (app_env).
    os.environ["BACKUP_CHECK_SECRET_KEY"] = secrets.token_urlsafe(50)
    recreate(args.server, f"{args.name}_source", create=True)
    recreate(args.server, f"{args.name}_restored", create=False)
    env = app_env(source_url)
    log(f"seeding {args.name}_source")
    subprocess.run([*MANAGE, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*MANAGE, "seed_scale", *SEED], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    plan_file = work / "plan.json"
    subprocess.run(
        [*MANAGE, "backup_check_plan", "--output", str(plan_file)], env=env, check=True, cwd=ROOT
    )
    dump = work / "careslot.dump"
    subprocess.run(["bash", "scripts/backup.sh", source_url, str(dump)], check=True, cwd=ROOT)
    subprocess.run(["bash", "scripts/restore.sh", str(dump), restored_url], check=True, cwd=ROOT)
    if args.damage:
        log(f"damaging {args.name}_restored: {args.damage}")
        with psycopg.connect(restored_url, autocommit=True) as conn:
            conn.execute(args.damage)

    # The data first: reading a patient's history through the API writes its access log.
    source, restored = facts(source_url), facts(restored_url)
    differences = compare_facts(source, restored)
    tables = source["tables"]
    rows = sum(source[f"rows of {t}"] for t in tables)
    log(
        f"data: {len(tables)} tables, {rows} rows; points total {source['points ledger total']}, "
        f"history entries/amendments {source['history entries, amendments']}, payment events "
        f"total {source['payment events total']}"
    )
    plan = json.loads(plan_file.read_text())
    return differences + compare_api(source_url, restored_url, plan, work)


if __name__ == "__main__":
    sys.exit(main())
