"""Prometheus metrics (issue 23.2): /metrics is not public, parses with Prometheus' own text
parser, counts what the alert rules watch, and adds up several gunicorn processes."""

import json
import re
import socket
from pathlib import Path

import pytest
import yaml
from django.core.cache import cache
from django_tasks_db.models import DBTaskResult
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import SlotFactory, in_hours
from tests.servers import call, gunicorns

pytestmark = pytest.mark.django_db

ALERTS = Path(__file__).parents[2] / "deploy" / "prometheus" / "alerts.yml"
TOKEN = "metrics-token-for-tests-0123456789"


def scrape(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return samples(response.content.decode())


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(figures, name: str, **labels) -> float:
    return figures.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(autouse=True)
def _metrics_settings(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def test_metrics_answer_only_a_scraper_with_the_token_or_from_an_allowed_network(
    api_client, settings
):
    assert api_client.get("/metrics").status_code == 404
    wrong = api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer guess")
    assert wrong.status_code == 404
    assert api_client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    settings.METRICS_TOKEN = ""
    assert api_client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "127.0.0.0/8"]
    assert api_client.get("/metrics").status_code == 200
    assert api_client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404
    # Behind a proxy, the client it vouches for counts, not the proxy's own address.
    settings.TRUSTED_PROXY_COUNT = 1
    forwarded = api_client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert forwarded.status_code == 404


def test_requests_bookings_logins_throttles_and_the_queue_are_counted(
    api_client, client_for, world, django_capture_on_commit_callbacks
):
    before = scrape(api_client)
    assert api_client.get("/api/v1/auth/me/").status_code == 401
    slot = SlotFactory(doctor=world.doctor, clinic=world.clinic, start=in_hours(90))
    with django_capture_on_commit_callbacks(execute=True):
        booked = client_for(world.other_patient.user).post(
            "/api/v1/appointments/", {"slot": str(slot.pk)}, format="json"
        )
    assert booked.status_code == 201
    wrong = {"email": world.patient.user.email, "password": "not-the-password"}
    assert api_client.post("/api/v1/auth/login/", wrong, format="json").status_code == 401
    cache.clear()
    statuses = [
        api_client.post(
            "/api/v1/auth/password/reset/", {"email": "x@example.org"}, format="json"
        ).status_code
        for _ in range(6)
    ]
    assert statuses[-1] == 429
    after = scrape(api_client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    me = {"method": "GET", "route": "/api/v1/auth/me/", "status": "401"}
    assert grew("careslot_http_requests_total", **me) == 1
    assert grew("careslot_http_request_duration_seconds_count", **me) == 1
    assert grew("careslot_http_request_duration_seconds_bucket", **me, le="+Inf") == 1
    book = {"method": "POST", "route": "/api/v1/appointments/", "status": "201"}
    assert grew("careslot_http_requests_total", **book) == 1
    assert grew("careslot_db_queries_total", route="/api/v1/appointments/") >= 5
    assert grew("careslot_appointment_events_total", event="booked") == 1
    assert grew("careslot_login_failures_total", reason="invalid_credentials") == 1
    assert grew("careslot_throttled_requests_total", scope="password_reset") == 1
    ready = DBTaskResult.objects.ready().count()
    assert ready >= 1  # the booking's confirmation waits for the worker
    assert value(after, "careslot_task_queue_depth") == ready
    assert value(after, "careslot_task_oldest_ready_age_seconds") >= 0
    assert value(after, "careslot_tasks_failed") == 0


def test_task_runs_retries_failures_and_mail_failures_are_counted(
    api_client, world, run_tasks, settings, refusing_smtp
):
    settings.TASK_MAX_ATTEMPTS = 2
    settings.TASK_RETRY_BASE_SECONDS = 0
    before = scrape(api_client)
    reset = api_client.post(
        "/api/v1/auth/password/reset/", {"email": world.patient.user.email}, format="json"
    )
    assert reset.status_code == 202
    # Refused, ready again at once (no backoff), refused again: out of attempts, failed.
    assert run_tasks() == 2
    assert refusing_smtp.mailbox.connections == 2  # both attempts reached the server
    after = scrape(api_client)
    task = "accounts.tasks.send_password_reset_email"
    for outcome in ("retry", "failed"):
        grew = value(after, "careslot_task_runs_total", task=task, outcome=outcome) - value(
            before, "careslot_task_runs_total", task=task, outcome=outcome
        )
        assert grew == 1, outcome
    mail = "careslot_mail_delivery_failures_total"
    assert value(after, mail) - value(before, mail) == 2
    assert value(after, "careslot_tasks_failed") == 1


def test_the_alert_rules_watch_metrics_that_exist(api_client):
    """A labelled counter has no sample until something increments it (in this process, in
    whatever order the suite ran): the declared families count, as the exposition lists them."""
    response = api_client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    families = list(text_string_to_metric_families(response.content.decode()))
    exported = {family.name for family in families}
    exported |= {f"{family.name}_total" for family in families if family.type == "counter"}
    exported |= {name for name, _ in samples(response.content.decode())}
    exported |= {re.sub(r"_(bucket|count|sum)$", "", name) for name in exported}
    rules = yaml.safe_load(ALERTS.read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {"CareSlotHigh5xxRate", "CareSlotTaskQueueLagging", "CareSlotMailFailing"} <= {
        rule["alert"] for rule in alerts
    }
    assert any("lockout" in rule["alert"].lower() for rule in alerts)
    for rule in alerts:
        used = set(re.findall(r"\bcareslot_[a-z_]+", rule["expr"]))
        assert used, rule["alert"]
        assert used <= exported, (rule["alert"], used - exported)


@pytest.mark.django_db(transaction=True)
def test_several_gunicorn_processes_add_up(tmp_path):
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "METRICS_TOKEN": TOKEN}
    with gunicorns(1, env=env, workers=3) as [server]:
        # A sync worker that accepted a connection serves nothing else until its request ends:
        # two idle connections hold two workers, so the third serves the next 28 requests and
        # the held two one each. Three processes then count this route.
        host = f"Host: 127.0.0.1:{server.port}\r\nConnection: close"
        held = [socket.create_connection(("127.0.0.1", server.port), timeout=30) for _ in "ab"]
        try:
            for _ in range(28):
                assert call(server.port, "GET", "/api/v1/auth/me/").status == 401
            for conn in held:
                conn.sendall(f"GET /api/v1/auth/me/ HTTP/1.1\r\n{host}\r\n\r\n".encode())
                assert conn.recv(64).startswith(b"HTTP/1.1 401"), "a held worker did not answer"
        finally:
            for conn in held:
                conn.close()
        scraped = call(server.port, "GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status == 200
    figures = samples(scraped.content.decode())
    me = {"method": "GET", "route": "/api/v1/auth/me/", "status": "401"}
    per_process = _counts_per_process(tmp_path, "careslot_http_requests_total", me)
    # Several processes counted the requests, and the scrape added them all up.
    assert len(per_process) == 3, per_process
    assert sorted(per_process.values()) == [1, 1, 28]
    assert value(figures, "careslot_http_requests_total", **me) == 30


def _counts_per_process(directory: Path, name: str, labels: dict) -> dict[str, float]:
    """{pid: value} of one counter sample, read from each process's own multiprocess file."""
    counts: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        pid = re.search(r"_(\d+)\.db$", path.name).group(1)
        for key, figure, *_ in MmapedDict.read_all_values_from_file(str(path)):
            _, sample, sample_labels, _ = json.loads(key)
            if sample == name and sample_labels == labels and figure:
                counts[pid] = counts.get(pid, 0) + figure
    return counts
