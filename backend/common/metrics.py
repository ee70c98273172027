"""Prometheus metrics (docs/operations.md#metrics).

Several gunicorn processes and the task worker each count for themselves, so counters use
prometheus-client's multiprocess mode when PROMETHEUS_MULTIPROC_DIR is set (`make serve`, the
Docker image): every process writes its samples to files in that directory and a scrape of
any process adds them all up. Without it (runserver, tests) one process holds them in memory.
What is a state rather than an event (the task queue's depth and lag, the failed tasks) is
read from the task table at scrape time, so it is right whichever process answers, and no
process keeps a gauge that could go stale.
"""

import hmac
import ipaddress
import os

from django.conf import settings
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from .client_ip import client_ip

HTTP_REQUESTS = Counter(
    "careslot_http_requests",
    "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "careslot_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DB_QUERIES = Counter(
    "careslot_db_queries",
    "Database queries run while answering HTTP requests, by route template",
    ["route"],
)
APPOINTMENT_EVENTS = Counter(
    "careslot_appointment_events",
    "Committed appointment changes: booked, rescheduled, cancelled, completed, no_show",
    ["event"],
)
TASK_RUNS = Counter(
    "careslot_task_runs",
    "Task attempts finished by the worker, by task and outcome (succeeded, retry, failed)",
    ["task", "outcome"],
)
MAIL_FAILURES = Counter(
    "careslot_mail_delivery_failures", "Emails the mail server refused or never took"
)
THROTTLED = Counter("careslot_throttled_requests", "Requests refused by a throttle", ["scope"])
SLOT_HOLDS = Counter(
    "careslot_slot_holds",
    "Slot holds patients asked for: created, or refused (live_limit, cooldown, daily_limit)",
    ["outcome"],
)
WORKER_DATABASE_ERRORS = Counter(
    "careslot_worker_database_errors",
    "Times the task worker lost the database and backed off to reconnect",
)
DATABASE_UNAVAILABLE = Counter(
    "careslot_database_unavailable_responses",
    "Requests answered 503 database_unavailable because the database could not be reached",
)
CACHE_UNAVAILABLE = Counter(
    "careslot_cache_unavailable",
    "Cache (Redis) calls that failed, by the feature that degraded: throttle, login_backoff, "
    "replica_sticky",
    ["feature"],
)
LOGIN_FAILURES = Counter(
    "careslot_login_failures",
    "Refused logins: invalid_credentials, locked_out (an attempt during a lockout, axes), backoff "
    "(an attempt during the account's backoff), wrong_current_password (password change) or "
    "invalid_mfa_code (a wrong second-factor code)",
    ["reason"],
)

INTEGRATION_REQUESTS = Counter(
    "careslot_integration_client_requests",
    "Requests made with an integration client's token, by client id and outcome (allowed, "
    "insufficient_scope, throttled)",
    ["client", "outcome"],
)
INTEGRATION_TOKENS = Counter(
    "careslot_integration_tokens",
    "Token endpoint answers by client id (unknown when none matched) and outcome (issued, "
    "invalid_client, invalid_assertion, assertion_replayed, invalid_scope)",
    ["client", "outcome"],
)


def observe_request(*, method: str, route: str, status: int, duration: float, queries: int):
    labels = (method, route, str(status))
    HTTP_REQUESTS.labels(*labels).inc()
    HTTP_LATENCY.labels(*labels).observe(duration)
    if queries:
        DB_QUERIES.labels(route).inc(queries)


# Collectors that read the database at scrape time (the task queue's figures), added by the
# apps that own those figures when Django starts (taskqueue.apps): common imports no app.
_scrape_collectors: list = []


def add_scrape_collector(collector) -> None:
    if not any(type(c) is type(collector) for c in _scrape_collectors):
        _scrape_collectors.append(collector)


def exposition() -> bytes:
    """Every process's counters (multiprocess mode) or this one's, and the queue figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    at_scrape = CollectorRegistry(auto_describe=False)
    for collector in _scrape_collectors:
        at_scrape.register(collector)
    return generate_latest(counted) + generate_latest(at_scrape)


def may_read_metrics(request) -> bool:
    """The metrics audience: a scraper holding METRICS_TOKEN or calling from an allowed network."""
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return True
    address = client_ip(request)
    if not address or not settings.METRICS_ALLOWED_NETWORKS:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )
