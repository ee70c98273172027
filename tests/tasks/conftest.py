import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.tasks.smtp import SMTPServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free port, not started: tests start (and stop) it."""
    server = SMTPServer()
    yield server
    server.stop()


@pytest.fixture
def use_smtp(settings, smtp_server):
    """This process sends through `smtp_server` (whether or not it is up)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    return smtp_server


def worker_env(smtp_port: int, **extra: str) -> dict:
    """The environment of a real `manage.py worker` on this test's database and mail server."""
    db = connection.settings_dict
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_TIMEOUT": "20",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


@pytest.fixture
def start_worker():
    """`start_worker(smtp_port, *args, **env)`: a real `manage.py worker` process; stopped (and
    reaped) at the end of the test if it is still running."""
    processes: list[subprocess.Popen] = []

    def start(smtp_port: int, *args: str, **env: str) -> subprocess.Popen:
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "backend" / "manage.py"),
                "worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.1",
                *args,
            ],
            cwd=ROOT,
            env=worker_env(smtp_port, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)


def finish(process: subprocess.Popen, timeout: float = 60) -> str:
    """Wait for a `--batch` worker to drain the queue and exit; its output."""
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output


class Output:
    """A process's output, read line by line as it comes (a thread drains the pipe), so a test
    can wait for a line instead of guessing how long the process takes to write it."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        wait_for(lambda: text in self.text(), timeout=timeout)

    def exit_code(self, timeout: float = 30.0) -> int:
        """Wait for the process to exit and its pipe to be drained."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        return code


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
