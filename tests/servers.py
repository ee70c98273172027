"""Real gunicorn processes serving the pytest-django test database, and a plain HTTP client.

Use from a `transaction=True` test (or a fixture of one): the servers only see committed rows.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
# Each engineer's suite gets its own Redis database, like its own PostgreSQL one.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


def served_database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return (
        f"postgres://{quote(db['USER'], safe='')}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Result:
    status: int
    headers: dict[str, str]
    content: bytes

    def __getitem__(self, name: str) -> str:
        return self.headers[name.lower()]

    def json(self):
        return json.loads(self.content)

    @property
    def status_code(self) -> int:
        return self.status


def call(port: int, method: str, path: str, body=None, headers=None, timeout: float = 30) -> Result:
    """One request on a fresh connection (gunicorn's sync workers close each one)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    sent = {"Accept": "application/json", **(headers or {})}
    payload = None
    if body is not None:
        payload = json.dumps(body)
        sent["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        content = response.read()
        return Result(response.status, {k.lower(): v for k, v in response.getheaders()}, content)
    finally:
        conn.close()


@contextmanager
def gunicorns(
    count: int,
    env: dict[str, str] | None = None,
    workers: int = 1,
    graceful_timeout: int | None = 2,
):
    """`count` gunicorn servers started side by side with test settings; stopped on exit.
    `graceful_timeout=None` keeps backend/gunicorn.conf.py's (the production one)."""
    servers: list[Server] = []
    try:
        for _ in range(count):
            servers.append(_start(env or {}, workers, graceful_timeout))
        for server in servers:
            _wait_until_up(server)
        yield servers
    finally:
        for server in servers:
            _stop(server.process)
            server.log.unlink(missing_ok=True)


def _start(env: dict[str, str], workers: int, graceful_timeout: int | None) -> Server:
    # The test binds the port itself and hands gunicorn the socket: no race for a free port.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    log = Path(tempfile.mkstemp(prefix=f"gunicorn-{port}-", suffix=".log")[1])
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": served_database_url(),
        "TEST_CACHE_URL": REDIS_URL,
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    command = [sys.executable, "-m", "gunicorn", "--chdir", "backend", "config.wsgi"]
    command += ["--bind", f"fd://{listener.fileno()}", "--workers", str(workers)]
    command += ["--log-level", "warning"]
    if graceful_timeout is not None:
        command += ["--graceful-timeout", str(graceful_timeout)]
    with log.open("w") as out, listener:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
            start_new_session=True,
        )
    return Server(port, process, log)


def _wait_until_up(server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.output()}")
        try:
            if call(server.port, "GET", "/healthz", timeout=5).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz:\n{server.output()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class GatedProxy:
    """A TCP forwarder to `target` that can be shut (`close()`: every connection through it is
    cut and new ones are dropped at once, as by a server that went away) and opened again.
    Lets a test take PostgreSQL or Redis away from the servers it starts, and bring it back,
    without touching the real server other tests share."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.open = True
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        with self._lock:
            self.open = False
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for sock in pair:
                _shut(sock)

    def reopen(self) -> None:
        self.open = True

    def _accept(self) -> None:
        while True:
            client, _ = self._listener.accept()
            if not self.open:
                _shut(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _shut(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._pairs.append((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    _shut(sink)
    _shut(source)


def _shut(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
