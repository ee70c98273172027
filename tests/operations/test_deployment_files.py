"""Issue #23.4: Docker does not run here, so the settings docker-compose.yml and the Dockerfile
rely on are read and checked: the probes they call, and stop grace periods longer than what
they wait for (docs/operations.md, "How the numbers fit")."""

import runpy
import shlex

import yaml
from django.conf import settings

from tests.servers import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "Dockerfile").read_text()
GUNICORN = runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def seconds(value: str) -> int:
    assert value.endswith("s"), value
    return int(value[:-1])


def test_the_image_runs_gunicorn_with_its_config_and_probes_liveness():
    assert "COPY gunicorn.conf.py ./" in DOCKERFILE
    cmd = next(line for line in DOCKERFILE.splitlines() if line.startswith("CMD "))
    assert '"--config", "gunicorn.conf.py"' in cmd
    healthcheck = DOCKERFILE.split("HEALTHCHECK", 1)[1].split("\n\n", 1)[0]
    assert "http://127.0.0.1:8000/healthz" in healthcheck
    assert 'exec "$@"' in (ROOT / "scripts" / "docker-entrypoint.sh").read_text()  # PID 1


def test_the_api_service_is_ready_by_readyz_and_outlives_gunicorns_grace():
    api = COMPOSE["services"]["api"]
    assert "http://127.0.0.1:8000/readyz" in shlex.join(api["healthcheck"]["test"])
    assert GUNICORN["graceful_timeout"] >= GUNICORN["timeout"]
    assert seconds(api["stop_grace_period"]) > GUNICORN["graceful_timeout"]


def test_the_worker_service_outlives_its_longest_task_and_has_no_http_probe():
    worker = COMPOSE["services"]["worker"]
    assert worker["healthcheck"] == {"disable": True}
    longest_task = max(settings.EMAIL_TIMEOUT, settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS)
    assert seconds(worker["stop_grace_period"]) > longest_task
    assert seconds(worker["stop_grace_period"]) < settings.TASK_LEASE_SECONDS


def test_the_procfile_server_uses_the_config():
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line[:4] == "web:")
    assert "--config gunicorn.conf.py" in web
