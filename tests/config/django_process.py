"""Settings are read once per process, so a test of what an environment gives runs Django in a
fresh one."""

import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_django(
    code: str, env: dict[str, str], *, drop: Iterable[str]
) -> subprocess.CompletedProcess:
    """Python `code`, run after `django.setup()` in a new process with `env`, which inherits
    this process's environment without the variables in `drop` and without any DJANGO_*."""
    dropped = set(drop)
    clean = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("DJANGO")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        env={**clean, **env, "PYTHONPATH": str(ROOT / "backend")},
        capture_output=True,
        text=True,
        check=False,
    )
