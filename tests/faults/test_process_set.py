"""Issue #27.4: the whole process set, started as `make serve` starts it (supervisord running
gunicorn and the task worker, production settings, Redis cache, a real SMTP server), keeps
serving 10 clients that book, cancel and reschedule (with Idempotency-Keys) and log in, while,
in one run, the database's connections are terminated twice (once while the worker is inside
a task), a gunicorn worker and the task worker are SIGKILLed, PostgreSQL restarts, and Redis
stops and starts again. PostgreSQL and Redis are the test's own (tests/faults/cluster.py).

Asserted: no 5xx but 503 inside a database outage, no connection refused from five seconds
after the last fault, every process up at the end, every acknowledged booking and
cancellation stored, each acknowledged booking's confirmation mail delivered exactly once,
and the booking invariants. The figures are printed and written to var/fault-test.json
(docs/operations.md quotes them).
"""

import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import psycopg
import pytest

from appointments.tasks import send_booking_confirmation
from common.emails import message_id
from tests.faults.cluster import PostgresCluster, RedisServer
from tests.servers import ROOT, call
from tests.tasks.smtp import SMTPServer, free_port

CLIENTS = 10
LOAD_SECONDS = 30
PG_DOWN_SECONDS = 3
GRACE = 3.0  # a request answered this long after a database outage may still see it
BOOK = "/api/v1/appointments/"
MANAGE = [sys.executable, str(ROOT / "backend" / "manage.py")]
SEED = """
import json
from datetime import timedelta
from accounts.services import issue_tokens
from scheduling.models import Slot
from tests.factories import (
    AssociationFactory, ClinicFactory, DoctorFactory, PatientFactory, in_hours)
patients = [PatientFactory() for _ in range(10)]
clinic = ClinicFactory()
slots = []
for _ in range(3):
    doctor = DoctorFactory()
    AssociationFactory(doctor=doctor, clinic=clinic)
    slots += Slot.objects.bulk_create(
        Slot(doctor=doctor, clinic=clinic, start=start, end=start + timedelta(minutes=30))
        for start in (in_hours(48 + hour) for hour in range(100)))
print(json.dumps({
    "patients": [[p.user.email, issue_tokens(user=p.user)["access"]] for p in patients],
    "slots": [str(slot.pk) for slot in slots]}))
"""


@dataclass
class Call:
    started: float
    ended: float
    action: str
    status: int | None = None
    error: str | None = None
    appointment: str | None = None
    slot: str | None = None
    content: bytes = b""


@dataclass
class Fault:
    name: str
    started: float
    ended: float
    database_outage: bool
    detail: dict = field(default_factory=dict)


class Client(threading.Thread):
    """One patient: books, cancels and reschedules its own appointments, lists them, logs in.
    A 503 on a keyed write is retried with the same key, as a client should."""

    def __init__(self, port: int, email: str, token: str, slots: list[str], stop, clock):
        super().__init__()
        self.port, self.email, self.slots, self.stop, self.clock = port, email, slots, stop, clock
        self.auth = {"Authorization": f"Bearer {token}"}
        self.calls: list[Call] = []
        self.mine: list[str] = []
        self.rng = random.Random()

    def run(self) -> None:
        while not self.stop.is_set():
            roll = self.rng.random()
            if roll < 0.05:
                self.request(
                    "login",
                    "POST",
                    "/api/v1/auth/login/",
                    {"email": self.email, "password": "Correct-Horse-Battery-42"},
                    {},
                )
            elif roll < 0.2:
                self.request("list", "GET", f"{BOOK}?page_size=5", None, self.auth)
            elif self.mine and roll < 0.4:
                self.cancel(self.rng.choice(self.mine))
            elif self.mine and roll < 0.6:
                self.reschedule(self.rng.choice(self.mine))
            else:
                self.book()

    def book(self) -> None:
        key = {"Idempotency-Key": uuid.uuid4().hex}
        slot = self.rng.choice(self.slots)
        for _ in range(3):
            done = self.request("book", "POST", BOOK, {"slot": slot}, {**self.auth, **key})
            if done.status in (200, 201):
                done.appointment = json.loads(done.content)["id"]
                self.mine.append(done.appointment)
            if done.status != 503:
                return
            time.sleep(1)

    def cancel(self, appointment: str) -> None:
        done = self.request("cancel", "POST", f"{BOOK}{appointment}/cancel/", {}, self.auth)
        done.appointment = appointment
        if done.status in (200, 409):  # 409: cancelled already (by an unseen earlier try)
            self.mine.remove(appointment)

    def reschedule(self, appointment: str) -> None:
        key = {"Idempotency-Key": uuid.uuid4().hex}
        slot = self.rng.choice(self.slots)
        path = f"{BOOK}{appointment}/reschedule/"
        for _ in range(3):
            done = self.request("reschedule", "POST", path, {"slot": slot}, {**self.auth, **key})
            done.appointment, done.slot = appointment, slot
            if done.status != 503:
                return
            time.sleep(1)

    def request(self, action, method, path, body, headers) -> Call:
        started = self.clock()
        try:
            response = call(self.port, method, path, body, headers, timeout=40)
        except OSError as exc:
            done = Call(started, self.clock(), action, error=type(exc).__name__)
        else:
            done = Call(started, self.clock(), action, response.status, content=response.content)
        self.calls.append(done)
        if done.error:
            time.sleep(0.2)
        return done


class ProcessSet:
    """`make serve` on its own database, Redis and SMTP server."""

    def __init__(self, pg: PostgresCluster, redis: RedisServer, smtp: SMTPServer) -> None:
        self.port = free_port()
        self.log = ROOT / "var" / f"fault-test-{self.port}.log"
        self.supervisor_dir = ROOT / "var" / f"supervisor-{self.port}"  # make serve's
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": pg.url,
            "CACHE_URL": redis.url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "EMAIL_TIMEOUT": "10",
            "SECURE_SSL_REDIRECT": "false",
            "CONN_MAX_AGE": "60",
            "JWT_ACCESS_MINUTES": "1440",
            "THROTTLE_LOGIN": "100000/min",  # counted in Redis, never refused here
            "MAX_ACTIVE_BOOKINGS_PER_PATIENT": "1000",
            "MAX_PATIENT_CANCELLATIONS_PER_DAY": "100000",
            # The retry policy at test speed: a task that lost the database runs again in
            # about a second rather than half a minute.
            "TASK_RETRY_BASE_SECONDS": "1",
            "TASK_RETRY_MAX_SECONDS": "4",
            "WEB_CONCURRENCY": "3",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        self.make: subprocess.Popen | None = None

    def seed(self) -> dict:
        subprocess.run([*MANAGE, "migrate", "--noinput", "-v0"], env=self.env, check=True, cwd=ROOT)
        out = subprocess.run(
            [*MANAGE, "shell", "-c", SEED],
            env=self.env,
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout
        return json.loads(out.strip().splitlines()[-1])

    def start(self) -> None:
        self.log.parent.mkdir(exist_ok=True)
        with self.log.open("w") as out:
            self.make = subprocess.Popen(
                ["make", "--no-print-directory", "serve", f"PORT={self.port}"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while not self.healthy():
            assert self.make.poll() is None, self.output()
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.5)

    def healthy(self) -> bool:
        try:
            return call(self.port, "GET", "/healthz", timeout=5).status == 200
        except OSError:
            return False

    def supervisorctl(self, *args: str) -> str:
        env = {**self.env, "CARESLOT_SUPERVISOR_DIR": str(self.supervisor_dir)}
        return subprocess.run(
            [str(ROOT / ".venv" / "bin" / "supervisorctl"), "-c", "supervisord.conf", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def pid(self, program: str) -> int:
        text = self.supervisorctl("pid", program).strip()
        return int(text) if text.isdigit() else 0

    def running(self) -> dict[str, str]:
        lines = self.supervisorctl("status").splitlines()
        return {line.split()[0]: line.split()[1] for line in lines if line.strip()}

    def gunicorn_workers(self) -> set[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.pid("web"))], capture_output=True, text=True, check=False
        ).stdout
        return {int(pid) for pid in out.split()}

    def stop(self) -> None:
        if self.make is not None and self.make.poll() is None:
            os.killpg(self.make.pid, signal.SIGTERM)
            try:
                self.make.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.make.pid, signal.SIGKILL)
        # supervisord's children run in their own process groups; it stops them on SIGTERM.
        deadline = time.monotonic() + 90
        while self.pid("web") or self.pid("worker"):
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
        shutil.rmtree(self.supervisor_dir, ignore_errors=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def stack():
    pg, redis, smtp = PostgresCluster(), RedisServer(), SMTPServer()
    processes = ProcessSet(pg, redis, smtp)
    try:
        pg.start()
        redis.start()
        smtp.start()
        yield pg, redis, smtp, processes
    finally:
        processes.stop()
        redis.stop()
        smtp.stop()
        pg.stop()


def test_the_process_set_survives_database_redis_and_process_faults(stack):
    pg, redis, smtp, processes = stack
    world = processes.seed()
    processes.start()
    origin = time.monotonic()

    def clock() -> float:
        return round(time.monotonic() - origin, 3)

    faults: list[Fault] = []

    def kill_connections_in_task() -> None:
        smtp.mailbox.receiving.clear()
        smtp.mailbox.gate = gate = threading.Event()
        assert smtp.mailbox.receiving.wait(15), "the worker never started a mail"
        started = clock()
        killed = pg.terminate_connections()
        smtp.mailbox.gate = None
        gate.set()
        faults.append(
            Fault(
                "db connections terminated (worker mid-task)",
                started,
                clock(),
                True,
                {"connections": killed},
            )
        )

    def kill_connections() -> None:
        started = clock()
        killed = pg.terminate_connections()
        faults.append(
            Fault("db connections terminated", started, clock(), True, {"connections": killed})
        )

    def kill_gunicorn_worker() -> None:
        before = processes.gunicorn_workers()
        victim = min(before)
        started = clock()
        os.kill(victim, signal.SIGKILL)
        replaced = wait_until(
            lambda: len(processes.gunicorn_workers() - {victim}) == len(before), 30
        )
        faults.append(
            Fault(
                "gunicorn worker SIGKILL",
                started,
                clock(),
                False,
                {"replaced_after_s": round(clock() - started, 2) if replaced else None},
            )
        )

    def kill_task_worker() -> None:
        """SIGKILLed inside a task, its mail in the server's DATA phase: not yet accepted, so
        the retry sends it once. (Killed after the server's 250 and before the delivery row
        commits, the retry would send it again, under the same Message-ID: docs/operations.md.)
        """
        smtp.mailbox.receiving.clear()
        smtp.mailbox.gate = gate = threading.Event()
        assert smtp.mailbox.receiving.wait(15), "the worker never started a mail"
        victim = processes.pid("worker")
        started = clock()
        os.kill(victim, signal.SIGKILL)
        replaced = wait_until(lambda: processes.pid("worker") not in (0, victim), 30)
        smtp.mailbox.gate = None
        gate.set()
        detail = {"replaced_after_s": round(clock() - started, 2) if replaced else None}
        faults.append(Fault("task worker SIGKILL (mid-task)", started, clock(), False, detail))

    def restart_postgres() -> None:
        started = clock()
        pg.restart(down_seconds=PG_DOWN_SECONDS)
        faults.append(Fault("PostgreSQL restart", started, clock(), True))

    def bounce_redis() -> None:
        started = clock()
        redis.stop()
        time.sleep(3)
        redis.start()
        faults.append(Fault("Redis stopped and started", started, clock(), False))

    plan = [
        (3, kill_connections_in_task),
        (6, kill_gunicorn_worker),
        (9, restart_postgres),
        (16, kill_connections),
        (18, kill_task_worker),
        (22, bounce_redis),
    ]
    stop = threading.Event()
    clients = [
        Client(processes.port, email, token, world["slots"], stop, clock)
        for email, token in world["patients"]
    ]
    for client in clients:
        client.start()
    for at, inject in plan:
        time.sleep(max(0, at - clock()))
        inject()
    time.sleep(max(0, LOAD_SECONDS - clock()))
    stop.set()
    for client in clients:
        client.join(timeout=60)
    calls = [done for client in clients for done in client.calls]

    drained = wait_until(lambda: tasks_pending(pg) == 0, 60)
    states = processes.running()
    alive = processes.healthy()
    ready = call(processes.port, "GET", "/readyz").status if alive else None
    output = processes.output()
    figures = measure(calls, faults, smtp, pg, output)
    figures["end"] = {
        "supervisorctl": states,
        "healthz": alive,
        "readyz": ready,
        "tasks_drained": drained,
    }
    report(figures)

    last_fault = max(fault.ended for fault in faults)
    assert len(faults) == len(plan), figures
    outages = [(f.started, f.ended + GRACE) for f in faults if f.database_outage]
    stray = [
        c
        for c in calls
        if c.status
        and c.status >= 500
        and (c.status != 503 or not any(a <= c.ended <= b for a, b in outages))
    ]
    assert stray == [], stray[:5]
    refused = [
        c for c in calls if c.error == "ConnectionRefusedError" and c.started > last_fault + 5
    ]
    assert refused == [], refused[:5]
    windows = [(f.started, f.ended + 5) for f in faults]
    broken = [c for c in calls if c.error and not any(a <= c.started <= b for a, b in windows)]
    assert broken == [], broken[:5]
    assert (states.get("web"), states.get("worker")) == ("RUNNING", "RUNNING"), states
    assert (alive, ready) == (True, 200), figures["end"]
    assert drained, "tasks still pending a minute after the load"
    assert all(f.detail.get("replaced_after_s", 0) is not None for f in faults), figures
    check_stored(calls, pg)
    assert figures["mail"]["confirmations_not_once"] == [], figures["mail"]
    assert figures["invariants"] == {key: 0 for key in figures["invariants"]}, figures
    assert figures["requests"]["by_status"].get(201, 0) >= 20, figures


def tasks_pending(pg: PostgresCluster) -> int:
    try:
        with psycopg.connect(pg.admin_url()) as conn:
            return conn.execute(
                "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                # django-tasks-db's "no run_after" is the largest date: ready at once.
                "WHERE status = 'RUNNING' OR (status = 'READY' "
                "AND (run_after <= now() OR run_after > '9000-01-01'))"
            ).fetchone()[0]
    except psycopg.OperationalError:
        return -1


def check_stored(calls: list[Call], pg: PostgresCluster) -> None:
    booked = {c.appointment for c in calls if c.action == "book" and c.status in (200, 201)}
    cancelled = {c.appointment for c in calls if c.action == "cancel" and c.status == 200}
    with psycopg.connect(pg.admin_url()) as conn:
        stored = dict(
            conn.execute("SELECT id::text, status FROM appointments_appointment").fetchall()
        )
        slots = dict(
            conn.execute("SELECT id::text, slot_id::text FROM appointments_appointment").fetchall()
        )
    assert booked <= set(stored), booked - set(stored)
    assert all(stored[pk] == "cancelled" for pk in cancelled), cancelled
    # An acknowledged move that was the appointment's last attempted change holds.
    last: dict[str, Call] = {}
    for done in sorted(calls, key=lambda c: c.started):
        if done.action in ("cancel", "reschedule") and done.appointment:
            last[done.appointment] = done
    moved = [c for c in last.values() if c.action == "reschedule" and c.status == 200]
    assert all(slots[c.appointment] == c.slot for c in moved), moved[:3]


def measure(calls, faults, smtp, pg, output) -> dict:
    statuses = Counter(c.status for c in calls if c.status)
    errors = Counter(c.error for c in calls if c.error)
    per_fault = []
    for fault in faults:
        after = [c.ended for c in calls if c.started >= fault.ended and c.status and c.status < 300]
        per_fault.append(
            {
                "fault": fault.name,
                "at_s": fault.started,
                "lasted_s": round(fault.ended - fault.started, 2),
                "503s": sum(1 for c in calls if c.status == 503 and latest(faults, c) is fault),
                "2xx_during": sum(
                    1
                    for c in calls
                    if c.status and c.status < 300 and fault.started <= c.ended <= fault.ended
                ),
                "client_errors": sum(1 for c in calls if c.error and latest(faults, c) is fault),
                "first_2xx_after_s": round(min(after) - fault.started, 2) if after else None,
                **fault.detail,
            }
        )
    return {
        "requests": {
            "total": len(calls),
            "by_status": dict(sorted(statuses.items())),
            "client_errors": dict(errors),
            "by_action": dict(Counter(c.action for c in calls)),
        },
        "faults": per_fault,
        "mail": mail_figures(calls, smtp, pg),
        "invariants": invariants(pg),
        "log": {
            "worker_reconnects": output.count("reconnecting in"),
            "database_503_lines": output.count("answering 503"),
            "cache_unavailable_lines": output.count("Cache unavailable"),
            "lost_connection_reruns": output.count("running POST"),
            "mail_delivery_records_retried": output.count("retrying the record"),
            "supervisord_restarts": output.count("spawned: "),
            "tracebacks": output.count("Traceback"),
        },
    }


def latest(faults: list[Fault], done: Call) -> Fault | None:
    """The fault a failed exchange belongs to: the last one started before it ended."""
    before = [fault for fault in faults if fault.started <= done.ended]
    return before[-1] if before else None


def mail_figures(calls, smtp, pg) -> dict:
    booked = sorted({c.appointment for c in calls if c.action == "book" and c.status in (200, 201)})
    with psycopg.connect(pg.admin_url()) as conn:
        tasks = conn.execute(
            "SELECT COALESCE(args_kwargs->'args'->>0, args_kwargs->'kwargs'->>'appointment_id'), "
            "id::text, status FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = 'appointments.tasks.send_booking_confirmation'"
        ).fetchall()
    by_appointment: dict[str, list[str]] = {}
    for appointment, task_id, _ in tasks:
        by_appointment.setdefault(appointment, []).append(task_id)
    ids = Counter(m["Message-ID"] for m in smtp.mailbox.messages)
    not_once = []
    for appointment in booked:
        keys = [
            f"{send_booking_confirmation.name}:{t}" for t in by_appointment.get(appointment, [])
        ]
        delivered = [ids[message_id(key)] for key in keys]
        if delivered != [1]:
            not_once.append({"appointment": appointment, "deliveries": delivered})
    return {
        "acknowledged_bookings": len(booked),
        "confirmations_delivered_once": len(booked) - len(not_once),
        "confirmations_not_once": not_once,
        "messages_received": len(smtp.mailbox.messages),
        "duplicate_message_ids": sum(1 for n in ids.values() if n > 1),
        "tasks_by_status": dict(Counter(status for _, _, status in tasks)),
    }


def invariants(pg: PostgresCluster) -> dict:
    queries = {
        "slots_with_two_active_appointments": """SELECT COUNT(*) FROM (SELECT slot_id
            FROM appointments_appointment WHERE status <> 'cancelled' AND slot_id IS NOT NULL
            GROUP BY slot_id HAVING COUNT(*) > 1) AS d""",
        "patients_with_overlapping_bookings": """SELECT COUNT(*) FROM appointments_appointment a
            JOIN appointments_appointment b ON a.patient_id = b.patient_id AND a.id < b.id
            AND a.status = 'booked' AND b.status = 'booked'
            AND a.start < b."end" AND b.start < a."end" """,
        "booked_appointments_on_unbooked_slots": """SELECT COUNT(*) FROM appointments_appointment
            a JOIN scheduling_slot s ON s.id = a.slot_id
            WHERE a.status = 'booked' AND s.status <> 'booked'""",
        "booked_slots_without_an_appointment": """SELECT COUNT(*) FROM scheduling_slot s
            WHERE s.status = 'booked' AND NOT EXISTS (SELECT 1 FROM appointments_appointment a
            WHERE a.slot_id = s.id AND a.status = 'booked')""",
    }
    with psycopg.connect(pg.admin_url()) as conn:
        return {name: conn.execute(sql).fetchone()[0] for name, sql in queries.items()}


def report(figures: dict) -> None:
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "fault-test.json").write_text(json.dumps(figures, indent=2, default=str))
    print("\nfault test figures:")
    print(json.dumps(figures, indent=2, default=str))
