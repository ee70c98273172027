"""A PostgreSQL 15 cluster and a Redis server of the fault test's own, on free ports in a
temporary directory: the test restarts and stops them, so it must never touch the servers
other tests share. PostgreSQL refuses to run as root: as root, it runs as the `postgres` OS
user (like scripts/scale.sh)."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.tasks.smtp import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"
DATABASE = "careslot"


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *command] if os.geteuid() == 0 else command


class PostgresCluster:
    def __init__(self) -> None:
        # /tmp, not the clone: the postgres OS user must reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="careslot-fault-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE}?connect_timeout=5"

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, PG_USER)
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._start()
        with psycopg.connect(self.admin_url("postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {DATABASE}")

    def restart(self, down_seconds: float) -> None:
        """A fast shutdown (every connection is cut), `down_seconds` down, a start: the
        seconds a production server takes to restart (this one alone would take a fraction of
        one, too short to be seen)."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        time.sleep(down_seconds)
        self._start()

    def _start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.dir / "log")
        self._pg("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def terminate_connections(self) -> int:
        with psycopg.connect(self.admin_url(), autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        return sum(1 for (done,) in rows if done)

    def admin_url(self, database: str = DATABASE) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres(
                    [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
                ),
                check=False,
                capture_output=True,
            )
        shutil.rmtree(self.dir, ignore_errors=True)

    def _pg(self, program: str, *args: str) -> None:
        # No pipes: the postmaster pg_ctl leaves behind would hold them open, and us waiting.
        subprocess.run(
            _as_postgres([str(PG_BIN / program), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )


class RedisServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while (
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, check=False
            ).stdout.strip()
            != b"PONG"
        ):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
