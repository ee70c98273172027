"""Measure what issue #15 part 2 is about: can response time tell registered emails from
unknown ones? Serves the API with `make serve` (gunicorn + the task worker) on PostgreSQL with a
real SMTP server configured (aiosmtpd, in this process), then times, request by request and
alternating the two kinds, password reset, confirmation resend and registration for an email
that has an account and for one that has none; for doctor registration (issue 28, finding 1)
both with a license number a doctor already holds (public in the directory) and with a new one.
Prints the medians and their difference.

Usage: python scripts/measure_enumeration_timing.py [--rounds 300] [--database-url URL]
       [--only /register/doctor/]  (the paths containing this text only)
The throttles are raised for the run (they would refuse after 5 requests an hour).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python")
HOST = "127.0.0.1"
PASSWORD = "Timing-probe-2026!"


class CountingHandler:
    def __init__(self) -> None:
        self.messages = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def ensure_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def post(port: int, path: str, body: dict) -> tuple[int, float]:
    """One request on a new connection; (status, milliseconds until the whole answer)."""
    payload = json.dumps(body)
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    started = time.perf_counter()
    conn.request("POST", path, payload, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    conn.close()
    return response.status, elapsed


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("make serve exited")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("make serve did not come up")


def measure(port: int, rounds: int, path: str, known, unknown, label: str = "") -> dict:
    """Alternate the two kinds so that drift in the machine's load hits both alike. `known`
    (the registered email) and `unknown` are bodies, or functions of the round giving one."""
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    for i in range(rounds):
        order = ("known", "unknown") if i % 2 == 0 else ("unknown", "known")
        for kind in order:
            make = known if kind == "known" else unknown
            body = make(i) if callable(make) else make
            status, elapsed = post(port, path, body)
            assert status in (201, 202), (path, status)
            times[kind].append(elapsed)
    known_ms = statistics.median(times["known"])
    unknown_ms = statistics.median(times["unknown"])
    quartiles = statistics.quantiles(times["known"] + times["unknown"], n=4)
    return {
        "path": path + (f" ({label})" if label else ""),
        "requests_each": len(times["known"]),
        "known_median_ms": round(known_ms, 2),
        "unknown_median_ms": round(unknown_ms, 2),
        "difference_ms": round(known_ms - unknown_ms, 2),
        "interquartile_range_ms": round(quartiles[2] - quartiles[0], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--only", default="", help="measure only the paths containing this")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "TIMING_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/careslot_timing"
        ),
    )
    args = parser.parse_args()

    handler = CountingHandler()
    smtp_port = free_port()
    smtp = Controller(handler, hostname=HOST, port=smtp_port)
    smtp.start()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "EMAIL_URL": f"smtp://{HOST}:{smtp_port}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "THROTTLE_PASSWORD_RESET": "1000000/hour",
        "THROTTLE_CONFIRMATION_RESEND": "1000000/hour",
        "THROTTLE_REGISTER": "1000000/hour",
        "LOG_LEVEL": "WARNING",
    }
    ensure_database(args.database_url)
    subprocess.run([PYTHON, "backend/manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    probe = f"timing-{secrets.token_hex(4)}@example.com"
    taken_license = f"TIMING-{secrets.token_hex(4)}"
    create_users = (
        "from accounts.models import User\n"
        "from doctors.models import Doctor, Specialty\n"
        f"User.objects.create_user('{probe}', '{PASSWORD}', first_name='T', last_name='P')\n"
        "specialty, _ = Specialty.objects.get_or_create(\n"
        "    slug='timing', defaults={'name': 'Timing'}\n"
        ")\n"
        f"holder = User.objects.create_user('holder-{probe}', '{PASSWORD}',\n"
        "    first_name='H', last_name='D')\n"
        "Doctor.objects.create(\n"
        f"    user=holder, specialty=specialty, license_number='{taken_license}'\n"
        ")\n"
    )
    subprocess.run(
        [PYTHON, "backend/manage.py", "shell", "-c", create_users], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(
        ["make", "serve", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_up(port, server)
        run = f"{secrets.token_hex(4)}"
        registration = {
            "password": PASSWORD,
            "first_name": "Timing",
            "last_name": "Probe",
            "date_of_birth": "1990-01-01",
        }
        doctor = {
            "password": PASSWORD,
            "first_name": "Timing",
            "last_name": "Probe",
            "specialty": "timing",
        }

        def selected(port, rounds, path, *bodies, **kwargs):
            return measure(port, rounds, path, *bodies, **kwargs) if args.only in path else None

        results = [
            selected(
                port,
                args.rounds,
                "/api/v1/auth/password/reset/",
                {"email": probe},
                lambda i: {"email": f"nobody-{run}-{i}@example.com"},
            ),
            selected(
                port,
                args.rounds,
                "/api/v1/auth/email/resend/",
                {"email": probe},
                lambda i: {"email": f"nobody-{run}-{i}@example.com"},
            ),
            selected(
                port,
                max(1, args.rounds // 3),
                "/api/v1/auth/register/patient/",
                {**registration, "email": probe},
                lambda i: {**registration, "email": f"new-{run}-{i}@example.com"},
            ),
            selected(
                port,
                max(1, args.rounds // 3),
                "/api/v1/auth/register/doctor/",
                {**doctor, "email": probe, "license_number": taken_license},
                lambda i: {
                    **doctor,
                    "email": f"new-doctor-{run}-{i}@example.com",
                    "license_number": taken_license,
                },
                label="taken license",
            ),
            selected(
                port,
                max(1, args.rounds // 3),
                "/api/v1/auth/register/doctor/",
                lambda i: {**doctor, "email": probe, "license_number": f"K-{run}-{i}"},
                lambda i: {
                    **doctor,
                    "email": f"new-doctor-{run}-{i}-b@example.com",
                    "license_number": f"N-{run}-{i}",
                },
                label="new license",
            ),
        ]
        results = [result for result in results if result is not None]
    finally:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=60)
        smtp.stop()
    load = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps({"load_average_after": load, "results": results}, indent=2))
    print(f"SMTP server received {handler.messages} messages from the worker", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
