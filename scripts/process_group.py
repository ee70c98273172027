"""Stopping a server started in its own session (`start_new_session=True`), shared by the
scripts that start gunicorn (the bench package, backup_restore_check.py)."""

import os
import signal
import subprocess


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM to the whole group (gunicorn's arbiter and its workers), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
