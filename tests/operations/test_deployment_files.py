"""Issue #23.4: Docker does not run here, so the settings docker-compose.yml and the Dockerfile
rely on are read and checked: the probes they call, and stop grace periods longer than what
they wait for (docs/operations.md, "How the numbers fit")."""

import configparser
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


def test_every_service_restarts_and_has_a_health_check():
    for name, service in COMPOSE["services"].items():
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"].get("disable") is not True, name
        assert service["healthcheck"]["test"], name


def test_the_worker_service_outlives_its_longest_task_and_checks_its_heartbeat():
    worker = COMPOSE["services"]["worker"]
    heartbeat = worker["environment"]["TASK_WORKER_HEARTBEAT_FILE"]
    check = shlex.join(worker["healthcheck"]["test"])
    assert heartbeat in check
    stale_after = int(check.rsplit("> ", 1)[1].split(")")[0])
    longest_task = max(settings.EMAIL_TIMEOUT, settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS)
    assert seconds(worker["stop_grace_period"]) > longest_task
    assert seconds(worker["stop_grace_period"]) < settings.TASK_LEASE_SECONDS
    assert stale_after > longest_task


def test_supervisord_runs_gunicorn_with_its_config_and_restarts_every_process():
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(ROOT / "supervisord.conf")
    programs = {name.split(":", 1)[1]: conf[name] for name in conf if name.startswith("program:")}
    assert set(programs) == {"dev", "web", "worker"}
    assert "--config gunicorn.conf.py" in programs["web"]["command"]
    assert int(programs["web"]["stopwaitsecs"]) > GUNICORN["graceful_timeout"]
    longest_task = max(settings.EMAIL_TIMEOUT, settings.WEBHOOK_TOTAL_TIMEOUT_SECONDS)
    assert int(programs["worker"]["stopwaitsecs"]) > longest_task
    for name, program in programs.items():
        assert program["autorestart"] == "true", name
        assert program["stdout_logfile"] == "/dev/stdout", name  # make run's output
