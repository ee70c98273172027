"""`make bench`: seed PostgreSQL at platform scale, serve the API with gunicorn, load it from
this separate process over loopback, print per endpoint req/s and p50/p95/p99 latency (also as
ratios to the framework floor, GET /api/v1/auth/me/), write bench/results.json, and fail on any
double booking or 5xx.

The load is closed-loop: CONCURRENCY client processes (forked from this one, never inside the
server) each send one request, wait for the whole answer, and send the next, for DURATION
seconds after a short warm-up. Every endpoint runs with the same concurrency, against the same
server, in the same run, so the ratios compare like with like. The floor is measured first and
last, and briefly again just before each endpoint: the machine may be shared, and each ratio is
taken against the floor of the same minute.

Usage: python scripts/bench.py [--scale 1] [--duration 20] [--concurrency 5] [--workers 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from process_group import stop

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
MANAGE = [str(PYTHON), str(ROOT / "backend" / "manage.py")]
BENCH_DIR = ROOT / "bench"
HOST = "127.0.0.1"

REPORTS = ("bookings", "revenue", "user-activity", "doctors", "me")
# Targets of issue #9, as (scenario key, check on the row and the floor, text). Reports are
# checked twice: under the same load as everything else, and as one admin asking alone.
TARGETS = [
    ("slot_search", lambda r, f: r["p95_ms"] <= 2 * f["p95_ms"], "p95 <= 2x floor p95"),
    ("doctor_calendar", lambda r, f: r["p95_ms"] <= 2 * f["p95_ms"], "p95 <= 2x floor p95"),
    ("booking", lambda r, f: r["rps"] >= 0.5 * f["rps"], "req/s >= 50% of floor req/s"),
    (
        "booking_contended",
        lambda r, f: r["rps"] >= 0.5 * f["rps"],
        "req/s >= 50% of floor req/s",
    ),
    *(
        (f"report_{name}{suffix}", lambda r, f: r["p95_ms"] <= 300, "p95 <= 300 ms")
        for name in REPORTS
        for suffix in ("", "_single")
    ),
]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(args: list[str], env: dict) -> None:
    log(" ".join(args[1:] if args[0] == str(PYTHON) else args))
    subprocess.run(args, env=env, check=True, cwd=ROOT)


# -- database ------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as conn:
        # Planner costs for data that lives in memory (the whole bench set does), for this
        # database only: the server's defaults assume spinning disks.
        conn.execute(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1')


def seeded_sizes(url: str) -> dict | None:
    with psycopg.connect(url) as conn:
        try:
            row = conn.execute(
                """SELECT
                     (SELECT COUNT(*) FROM doctors_doctor WHERE license_number LIKE 'BENCH-%'),
                     (SELECT COUNT(*) FROM patients_patient),
                          (SELECT COUNT(*) FROM clinics_clinic)"""
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return None
    return {"doctors": row[0], "patients": row[1], "clinics": row[2]}


def expected_sizes(scale: float) -> dict:
    return {
        "doctors": max(2, round(1000 * scale)),
        "patients": max(2, round(50000 * scale)),
        "clinics": max(1, round(100 * scale)),
    }


def integrity(url: str, contended_slots: list[list[str]]) -> dict:
    """Double bookings of any kind after the run, and the winners of the contended rounds."""
    with psycopg.connect(url) as conn:
        double_slot = conn.execute(
            """SELECT COUNT(*) FROM (SELECT slot_id FROM appointments_appointment
               WHERE status <> 'cancelled' AND slot_id IS NOT NULL
               GROUP BY slot_id HAVING COUNT(*) > 1) AS d"""
        ).fetchone()[0]
        patient_overlap = conn.execute(
            """SELECT COUNT(*) FROM appointments_appointment a
               JOIN appointments_appointment b ON a.patient_id = b.patient_id AND a.id < b.id
               AND a.status = 'booked' AND b.status = 'booked'
               AND a.start < b."end" AND b.start < a."end" """
        ).fetchone()[0]
        slot_not_booked = conn.execute(
            """SELECT COUNT(*) FROM appointments_appointment a JOIN scheduling_slot s
               ON s.id = a.slot_id WHERE a.status = 'booked' AND s.status <> 'booked'"""
        ).fetchone()[0]
        rounds = []
        for slots in contended_slots:
            per_slot = conn.execute(
                """SELECT s.id::text, COUNT(a.id) FROM scheduling_slot s
                   LEFT JOIN appointments_appointment a
                     ON a.slot_id = s.id AND a.status <> 'cancelled'
                   WHERE s.id = ANY(%s::uuid[]) GROUP BY s.id""",
                [slots],
            ).fetchall()
            rounds.append(sum(count for _, count in per_slot))
    return {
        "slots_with_two_active_appointments": double_slot,
        "patients_with_overlapping_bookings": patient_overlap,
        "booked_appointments_on_unbooked_slots": slot_not_booked,
        "contended_appointments_per_round": rounds,
    }


# -- the server ------------------------------------------------------------------------------


def start_server(
    env: dict, port: int, workers: int, threads: int = 1, log_name: str = "gunicorn.log"
) -> subprocess.Popen:
    log_file = (BENCH_DIR / log_name).open("w")
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "--chdir",
            "backend",
            "config.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            # Any answer means gunicorn serves (healthz may report the task queue's lag: no
            # worker runs during a bench, and earlier runs' mail tasks wait in the queue).
            status, _ = request(port, {"method": "GET", "path": "/healthz"})
            if status in (200, 503):
                log(f"gunicorn up on {HOST}:{port} with {workers} workers (pid {server.pid})")
                return server
        except OSError:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.5)
    stop(server)
    raise SystemExit(f"gunicorn did not start: see {BENCH_DIR / log_name}")


# -- the load ----------------------------------------------------------------------------------


def request(port: int, spec: dict) -> tuple[int, float]:
    """Send one request on a new connection (gunicorn's sync workers close each one)."""
    headers = {"Accept": "application/json"}
    body = None
    if spec.get("token"):
        headers["Authorization"] = f"Bearer {spec['token']}"
    if "body" in spec:
        body = json.dumps(spec["body"])
        headers["Content-Type"] = "application/json"
    started = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        conn.request(spec["method"], spec["path"], body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    finally:
        conn.close()


def _client(args) -> list[tuple[float, int, float]]:
    """One closed-loop client: (sent-at, status, seconds) for each measured request."""
    port, requests, index, step, warmup_until, stop_at, once = args
    results = []
    i = index
    while True:
        now = time.perf_counter()
        if now >= stop_at or (once and i >= len(requests)):
            return results
        status, seconds = request(port, requests[i % len(requests)])
        if once or now >= warmup_until:
            results.append((now, status, seconds))
        i += step


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def summarize(name: str, key: str, results: list, elapsed: float, concurrency: int) -> dict:
    latencies = sorted(seconds * 1000 for _, _, seconds in results)
    statuses: dict[str, int] = {}
    for _, status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "key": key,
        "name": name,
        "requests": len(results),
        "seconds": round(elapsed, 2),
        "concurrency": concurrency,
        "rps": round(len(results) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "statuses": statuses,
        "errors_5xx": sum(n for status, n in statuses.items() if status.startswith("5")),
    }


def load(pool, port: int, scenario: dict, *, duration: float, warmup: float, concurrency: int):
    once = scenario["kind"] == "once"
    start = time.perf_counter()
    warmup_until = start if once else start + warmup
    stop_at = warmup_until + duration
    jobs = [
        (port, scenario["requests"], i, concurrency, warmup_until, stop_at, once)
        for i in range(concurrency)
    ]
    results = [r for chunk in pool.map(_client, jobs) for r in chunk]
    elapsed = time.perf_counter() - warmup_until
    if once and results:  # ran out of requests before the deadline: time the real span
        elapsed = max(t + s for t, _, s in results) - min(t for t, _, _ in results)
    return summarize(scenario["name"], scenario["key"], results, elapsed, concurrency)


def _contender(args) -> tuple[float, int, float]:
    port, spec, barrier = args
    barrier.wait()
    status, seconds = request(port, spec)
    return time.perf_counter(), status, seconds


def contend(port: int, rounds: list[dict]) -> dict:
    """Each round: 50 clients released together by a barrier, 5 per slot, 10 slots."""
    results, statuses_per_round = [], []
    started = time.perf_counter()
    for round_ in rounds:
        requests = round_["requests"]
        barrier = threading.Barrier(len(requests))
        threads_results: list = [None] * len(requests)

        def fire(i, spec, barrier=barrier, out=threads_results):
            out[i] = _contender((port, spec, barrier))

        threads = [threading.Thread(target=fire, args=(i, spec)) for i, spec in enumerate(requests)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        results.extend((0.0, status, seconds) for _, status, seconds in threads_results)
        statuses_per_round.append(sorted(status for _, status, _ in threads_results))
    elapsed = time.perf_counter() - started
    row = summarize(
        "booking (50 clients contending for 10 slots)",
        "booking_contended",
        results,
        elapsed,
        len(rounds[0]["requests"]) if rounds else 0,
    )
    row["rounds"] = len(rounds)
    row["winners_per_round"] = [statuses.count(201) for statuses in statuses_per_round]
    return row


# -- the report ------------------------------------------------------------------------------


def table(rows: list[dict]) -> str:
    """Ratios are to the floor measured just before each endpoint (its req/s and p95 shown)."""
    header = f"{'endpoint':<46} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
    header += f"{'floor/s':>8} {'floor95':>8} {'rps/floor':>9} {'p95/floor':>9} {'5xx':>4}"
    lines = [header, "-" * len(header)]
    for row in rows:
        beside = row.get("floor", row)
        lines.append(
            f"{row['name'][:46]:<46} {row['rps']:>8.1f} {row['p50_ms']:>8.1f} "
            f"{row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {beside['rps']:>8.1f} "
            f"{beside['p95_ms']:>8.1f} {row['rps_ratio_to_floor']:>9.2f} "
            f"{row['p95_ratio_to_floor']:>9.2f} {row['errors_5xx']:>4}"
        )
    return "\n".join(lines)


def _md_rows(rows: list[dict]) -> list[str]:
    lines = [
        "| endpoint | req/s | p50 ms | p95 ms | p99 ms | floor/s | floor p95 | req/s ÷ floor "
        "| p95 ÷ floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        beside = row.get("floor", row)
        lines.append(
            f"| {row['name']} | {row['rps']:.1f} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | "
            f"{row['p99_ms']:.1f} | {beside['rps']:.1f} | {beside['p95_ms']:.1f} | "
            f"{row['rps_ratio_to_floor']:.2f} | {row['p95_ratio_to_floor']:.2f} |"
        )
    return lines


def markdown(results: dict) -> str:
    """bench/results.md: the run's tables, ready for docs/performance.md."""
    lines = ["## Targets", "", "| endpoint | target | |", "|---|---|---|"]
    lines += [
        f"| {t['endpoint']} | {t['target']} | {'met' if t['met'] else '**missed**'} |"
        for t in results["targets"]
    ]
    lines += ["", "## Endpoints", "", *_md_rows(results["endpoints"])]
    if results.get("pgbench"):
        pg = results["pgbench"]
        lines += [
            "",
            f"pgbench: {pg['tps']} tps ({pg['statements_per_booking']} statements, "
            f"{pg['clients']} clients, {pg['transactions']} bookings, {pg['failed']} failed)",
        ]
    for variant in results.get("variants", []):
        lines += ["", f"## Variant: {variant['label']} ({variant['settings']})", ""]
        lines += _md_rows(variant["endpoints"])
    if results.get("growth"):
        lines += [
            "",
            f"## Growth from scale {results['growth_scale']} to {results['scale']}",
            "",
            "| endpoint | p95 ms | growth | req/s | change | p95 ÷ floor |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {g['key']} | {g['p95_ms'][0]:.1f} → {g['p95_ms'][1]:.1f} | {g['p95_growth']:.2f}x "
            f"| {g['rps'][0]:.1f} → {g['rps'][1]:.1f} | {g['rps_change']:+.0%} "
            f"| {g['p95_to_floor'][0]:.2f} → {g['p95_to_floor'][1]:.2f} |"
            for g in results["growth"]
        ]
    machine = results["machine"]
    lines += [
        "",
        f"Load average {machine['load_average_before']} before, "
        f"{machine['load_average_after']} after; integrity {results['integrity']}.",
    ]
    return "\n".join(lines) + "\n"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/careslot_bench"
        ),
    )
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument(
        "--growth-scale",
        type=float,
        default=0.1,
        help="Also measure the growth endpoints at this scale, in the same run (0: skip)",
    )
    parser.add_argument(
        "--growth-database-url",
        default=os.environ.get(
            "BENCH_GROWTH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/careslot_bench_growth"
        ),
    )
    parser.add_argument("--reseed", action="store_true", help="Seed even if already seeded")
    parser.add_argument("--duration", type=float, default=20.0, help="Seconds per endpoint")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--floor-duration", type=float, default=0, help="Floor sample before each endpoint"
    )
    parser.add_argument("--concurrency", type=int, default=0, help="Default: the workers")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rounds", type=int, default=5, help="Contended booking rounds")
    parser.add_argument("--report-runs", type=int, default=3, help="Consecutive runs per report")
    parser.add_argument("--only", nargs="*", help="Scenario keys to run (floor always runs)")
    parser.add_argument("--no-pgbench", action="store_true", help="Skip the pgbench replay")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL:VAR=VALUE[,VAR=VALUE]",
        help="Also run the variant endpoints on a server with these settings (environment "
        "variables; GUNICORN_WORKERS and GUNICORN_THREADS set the server's), in the same run",
    )
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="Only the scale-out figures (docs/scaling.md): 1 vs 2 API instances, reports on "
        "the replica vs the primary under booking load, connections with and without PgBouncer "
        "(make bench-scale starts the replica and PgBouncer)",
    )
    parser.add_argument("--replica-port", type=int, default=5435, help="The replica's port")
    parser.add_argument("--pgbouncer-port", type=int, default=6435, help="PgBouncer's port")
    parser.add_argument(
        "--pgbouncer-pool-size", type=int, default=4, help="Its default_pool_size (for the table)"
    )
    args = parser.parse_args()
    args.concurrency = args.concurrency or args.workers
    args.floor_duration = args.floor_duration or args.duration / 2
    return args


def server_env(url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings.bench",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP over loopback
        "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "600"),  # persistent connections
        "ALLOW_PER_PROCESS_CACHE": "true",  # the load calls no throttled endpoint
        "JWT_ACCESS_MINUTES": "1440",  # the plan's tokens outlive the run
        "EMAIL_URL": "dummymail://",  # booking emails are rendered, not sent
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


def prepare(
    url: str, scale: float, *, reseed: bool, rounds: int, env: dict, bookings: int = 6000
) -> tuple:
    """Create, migrate and seed (unless the data set of this scale is there); build the plan."""
    seeding = {"seconds": None, "reused": False}
    ensure_database(url)
    run([*MANAGE, "migrate", "--noinput", "-v0"], env)
    if not reseed and seeded_sizes(url) == expected_sizes(scale):
        log(f"{url.rsplit('/', 1)[1]} already holds the scale {scale} data set: reusing it")
        seeding["reused"] = True
    else:
        started = time.monotonic()
        run([*MANAGE, "seed_scale", "--scale", str(scale), "--reset"], env)
        seeding["seconds"] = round(time.monotonic() - started, 1)
    plan_file = BENCH_DIR / f"plan-{scale:g}.json"
    run(
        [
            *MANAGE,
            *("bench_plan", "--output", str(plan_file), "--rounds", str(rounds)),
            *("--bookings", str(bookings)),
        ],
        env,
    )
    return json.loads(plan_file.read_text()), seeding


def measure_all(args, env: dict, plan: dict, keys: list[str] | None, *, full: bool) -> list:
    """Every scenario of `keys` (all when None) on one gunicorn, each beside a fresh floor
    sample; with `full`, also each report alone, the contended rounds and the closing floor."""
    scenarios = {s["key"]: s for s in plan["scenarios"]}
    workers = int(env.get("GUNICORN_WORKERS", args.workers))
    threads = int(env.get("GUNICORN_THREADS", args.threads))
    server = start_server(env, args.port, workers, threads)
    rows: list[dict] = []
    try:
        with multiprocessing.get_context("fork").Pool(args.concurrency) as pool:

            def measure(key: str, *, duration=args.duration, clients=args.concurrency) -> dict:
                scenario = scenarios[key]
                log(f"{scenario['name']} ({len(scenario['requests'])} requests, {clients} clients)")
                row = load(
                    pool,
                    args.port,
                    scenario,
                    duration=duration,
                    warmup=args.warmup,
                    concurrency=clients,
                )
                log(f"  {row['rps']} req/s, p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms")
                return row

            def beside_floor(row: dict) -> dict:
                """Attach the floor measured just before `row`: the machine is shared, so a
                ratio is taken against the floor of the same minute, not of the run's start."""
                row["floor"] = floors[-1]
                return row

            def wanted(key: str) -> bool:
                return key in scenarios and (keys is None or key in keys)

            floors = [measure("floor")]
            rows.append(floors[0])
            for key in scenarios:
                if key == "floor" or not wanted(key):
                    continue
                runs = args.report_runs if key.startswith("report_") and full else 1
                for run_number in range(1, runs + 1):
                    floors.append(measure("floor", duration=args.floor_duration))
                    row = beside_floor(measure(key))
                    if runs > 1:
                        row["run"] = run_number
                        row["name"] = f"{row['name']} (run {run_number})"
                    rows.append(row)
            if full:
                for name in REPORTS:
                    key = f"report_{name}"
                    if not wanted(key):
                        continue
                    scenarios[f"{key}_single"] = {
                        **scenarios[key],
                        "key": f"{key}_single",
                        "name": f"{scenarios[key]['name']} (1 client)",
                    }
                    floors.append(measure("floor", duration=args.floor_duration))
                    rows.append(beside_floor(measure(f"{key}_single", clients=1)))
                if keys is None or "booking_contended" in keys:
                    floors.append(measure("floor", duration=args.floor_duration))
                    log(f"booking: {len(plan['contended'])} rounds of 50 clients for 10 slots")
                    rows.append(beside_floor(contend(args.port, plan["contended"])))
                floor_again = measure("floor")
                floor_again["name"] = "floor again (end of run)"
                floor_again["key"] = "floor_end"
                floor_again["floor"] = floors[0]  # its ratios show how the machine drifted
                rows.append(floor_again)
    finally:
        stop(server)
    for row in rows:
        beside = row.get("floor", row)
        row["rps_ratio_to_floor"] = round(row["rps"] / beside["rps"], 3)
        row["p95_ratio_to_floor"] = round(row["p95_ms"] / beside["p95_ms"], 3)
        if "floor" in row:
            row["floor"] = {k: beside[k] for k in ("rps", "p50_ms", "p95_ms", "p99_ms")}
    return rows


def replay_with_pgbench(url: str, env: dict, args) -> dict:
    """A booking's captured SQL replayed by pgbench at the same client count, no Python in
    the loop (devtools/pgbench_booking.py): the write path's physical limit."""
    script = BENCH_DIR / "booking.pgbench"
    run([*MANAGE, "bench_pgbench", "--output", str(script)], env)
    command = [
        "pgbench",
        "-n",
        "-f",
        str(script),
        "-c",
        str(args.concurrency),
        "-j",
        "2",
        "-T",
        str(int(args.duration)),
        "-d",
        url,
    ]
    log(" ".join(command))
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    run([*MANAGE, "bench_pgbench", "--output", str(script), "--drop"], env)
    tps = float(out.split("tps = ", 1)[1].split()[0])
    processed = int(out.split("actually processed: ", 1)[1].split()[0])
    failed = (
        int(out.split("failed transactions: ", 1)[1].split()[0])
        if "failed transactions" in out
        else 0
    )
    statements = sum(1 for line in script.read_text().splitlines()[2:] if line.strip())
    log(f"  pgbench: {tps:.1f} tps, {processed} bookings, {failed} failed")
    return {
        "tps": round(tps, 1),
        "transactions": processed,
        "failed": failed,
        "statements_per_booking": statements,
        "clients": args.concurrency,
    }


# -- scale-out (issue 21, docs/scaling.md) -------------------------------------------------------

REPORT_ADMINS = 5
PLATFORM_REPORTS = ("bookings", "revenue", "user-activity", "doctors")


def with_port(url: str, port: int) -> str:
    """`url` on another port of the same host (the replica, PgBouncer)."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@{parts.hostname}:{port}" if credentials else f"{parts.hostname}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def wait_for_replica(primary_url: str, replica_url: str, timeout: float = 600) -> None:
    """Until the replica has replayed everything the primary wrote (the seeding, the plan)."""
    with psycopg.connect(primary_url, autocommit=True) as primary:
        target = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(replica_url, autocommit=True) as replica:
        assert replica.execute("SELECT pg_is_in_recovery()").fetchone()[0], "not a standby"
        while not replica.execute(
            "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
        ).fetchone()[0]:
            if time.monotonic() > deadline:
                raise SystemExit(f"the replica at {replica_url} did not catch up")
            time.sleep(0.5)
    log("the replica has replayed the primary's WAL")


class ConnectionCounter(threading.Thread):
    """Samples, every 0.2 s, how many client backends PostgreSQL holds for the bench database
    (asked from the `postgres` database, so the sampler is not counted)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.server = url.rsplit("/", 1)[0] + "/postgres"
        self.name_ = url.rsplit("/", 1)[1]
        self.samples: list[int] = []
        self.done = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.server, autocommit=True) as conn:
            while not self.done.is_set():
                count = conn.execute(
                    """SELECT COUNT(*) FROM pg_stat_activity
                       WHERE datname = %s AND backend_type = 'client backend'""",
                    [self.name_],
                ).fetchone()[0]
                self.samples.append(count)
                self.done.wait(0.2)

    def stop(self) -> dict:
        self.done.set()
        self.join()
        samples = self.samples or [0]
        return {"max": max(samples), "mean": round(sum(samples) / len(samples), 1)}


def load_together(loads: list[tuple[dict, list[int], int]], *, duration: float, warmup: float):
    """Several scenarios at once, each (scenario, ports, clients): every client keeps to one
    port (clients spread over the ports in turn); one summary row per scenario."""
    start = time.perf_counter()
    warmup_until = start + warmup
    stop_at = warmup_until + duration
    jobs, owners = [], []
    for number, (scenario, ports, clients) in enumerate(loads):
        once = scenario["kind"] == "once"
        for i in range(clients):
            jobs.append(
                (
                    ports[i % len(ports)],
                    scenario["requests"],
                    i,
                    clients,
                    warmup_until,
                    stop_at,
                    once,
                )
            )
            owners.append(number)
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        chunks = pool.map(_client, jobs)
    elapsed = time.perf_counter() - warmup_until
    rows = []
    for number, (scenario, ports, clients) in enumerate(loads):
        results = [
            r for owner, chunk in zip(owners, chunks, strict=True) if owner == number for r in chunk
        ]
        span = elapsed
        if scenario["kind"] == "once" and results:  # single-use requests: time their real span
            span = max(t + s for t, _, s in results) - min(t for t, _, _ in results)
        row = summarize(scenario["name"], scenario["key"], results, span, clients)
        row["instances"] = len(ports)
        log(
            f"  {row['name']}: {row['rps']} req/s, p95 {row['p95_ms']} ms over {len(ports)} "
            f"instance(s), {clients} clients, statuses {row['statuses']}"
        )
        rows.append(row)
    return rows


class Instances:
    """`count` gunicorn API instances with the same settings, on consecutive ports."""

    def __init__(self, env: dict, args, count: int) -> None:
        self.env, self.args, self.count = env, args, count
        self.ports = [args.port + i for i in range(count)]
        self.servers: list[subprocess.Popen] = []

    def __enter__(self) -> Instances:
        for port in self.ports:
            self.servers.append(
                start_server(
                    self.env,
                    port,
                    self.args.workers,
                    self.args.threads,
                    log_name=f"gunicorn-{port}.log",
                )
            )
        return self

    def warm(self, scenarios: list[dict]) -> None:
        """Every worker connected and every code path loaded before anything is measured (a
        booking run is single-use, so it has no warm-up of its own)."""
        clients = self.args.concurrency * self.count
        load_together(
            [(scenario, self.ports, clients) for scenario in scenarios],
            duration=max(self.args.warmup, 1.0),
            warmup=0,
        )

    def __exit__(self, *exc) -> None:
        for server in self.servers:
            stop(server)


def run_scale_out(args, env: dict, plan: dict) -> dict:
    """One run of every scale-out figure: 1 vs 2 API instances (slot search, booking); booking
    p95 alone and beside 5 admins running reports, with the reports on the primary and on the
    replica; PostgreSQL's connections during a mixed load, directly and through PgBouncer."""
    scenarios = {s["key"]: s for s in plan["scenarios"]}
    replica_url = with_port(args.database_url, args.replica_port)
    pgbouncer_url = with_port(args.database_url, args.pgbouncer_port)
    wait_for_replica(args.database_url, replica_url)
    bookings = scenarios["booking"]["requests"]
    parts = 8
    booking_parts = [{**scenarios["booking"], "requests": bookings[i::parts]} for i in range(parts)]
    reports = {
        "name": f"reports ({REPORT_ADMINS} admins)",
        "key": "reports",
        "kind": "load",
        "requests": [
            r
            for group in zip(
                *(scenarios[f"report_{n}"]["requests"] for n in PLATFORM_REPORTS), strict=False
            )
            for r in group
        ],
    }
    clients = args.concurrency
    run = {"duration": args.duration, "warmup": args.warmup}
    warm_up = [scenarios["floor"], scenarios["slot_search"], reports]
    out: dict = {"instances": [], "reports": [], "connections": []}

    log("scale-out 1: one API instance, then two (clients grow with the instances)")
    for count in (1, 2):
        with Instances(env, args, count) as servers:
            servers.warm(warm_up)
            ports = servers.ports
            search = load_together([(scenarios["slot_search"], ports, clients * count)], **run)[0]
            booking = load_together([(booking_parts[count - 1], ports, clients * count)], **run)[0]
        out["instances"] += [search, booking]

    log("scale-out 2: booking alone and beside 5 admins' reports, reports on primary/replica")
    for label, extra in (
        ("primary", {}),
        ("replica", {"DATABASE_REPLICA_URL": replica_url}),
    ):
        part = 2 if label == "primary" else 4
        with Instances({**env, **extra}, args, 2) as servers:
            servers.warm(warm_up)
            ports = servers.ports
            alone = load_together([(booking_parts[part], ports, clients)], **run)[0]
            loaded = load_together(
                [(booking_parts[part + 1], ports, clients), (reports, ports, REPORT_ADMINS)],
                **run,
            )
        rise = loaded[0]["p95_ms"] / alone["p95_ms"] - 1 if alone["p95_ms"] else float("nan")
        out["reports"].append(
            {
                "reports_on": label,
                "booking_alone": alone,
                "booking_with_reports": loaded[0],
                "reports": loaded[1],
                "booking_p95_rise": round(rise, 3),
            }
        )
        log(
            f"  reports on the {label}: booking p95 {alone['p95_ms']} -> "
            f"{loaded[0]['p95_ms']} ms ({rise:+.0%})"
        )

    log("scale-out 3: PostgreSQL connections, directly and through PgBouncer (2 instances)")
    for label, extra in (
        ("direct", {}),
        ("pgbouncer", {"DATABASE_URL": pgbouncer_url, "DATABASE_PGBOUNCER": "true"}),
    ):
        counter = ConnectionCounter(args.database_url)
        with Instances({**env, **extra}, args, 2) as servers:
            servers.warm(warm_up)
            ports = servers.ports
            counter.start()
            rows = load_together(
                [
                    (scenarios["slot_search"], ports, clients),
                    (booking_parts[6 if label == "direct" else 7], ports, clients),
                ],
                **run,
            )
        held = counter.stop()
        gunicorn_workers = 2 * args.workers
        out["connections"].append(
            {
                "via": label,
                "held": held,
                "gunicorn_workers": gunicorn_workers,
                "pool_size": args.pgbouncer_pool_size if label == "pgbouncer" else None,
                "endpoints": rows,
            }
        )
        log(
            f"  {label}: PostgreSQL held max {held['max']}, mean {held['mean']} connections "
            f"for {gunicorn_workers} gunicorn workers"
        )
    return out


def scale_out_targets(out: dict) -> list[dict]:
    replica = next(r for r in out["reports"] if r["reports_on"] == "replica")
    return [
        {
            "endpoint": "booking beside 5 admins' reports, reports on the replica",
            "target": f"booking p95 rises <= 20% ({replica['booking_p95_rise']:+.0%})",
            "met": replica["booking_p95_rise"] <= 0.20,
        }
    ]


def scale_out_markdown(out: dict) -> list[str]:
    lines = [
        "## Scale-out: 1 vs 2 API instances",
        "",
        "| endpoint | instances | clients | req/s | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['name']} | {r['instances']} | {r['concurrency']} | {r['rps']:.1f} | "
        f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} |"
        for r in out["instances"]
    ]
    lines += [
        "",
        "## Scale-out: booking beside 5 admins running reports (2 instances)",
        "",
        "| reports on | booking p95 alone | booking p95 with reports | rise | booking req/s "
        "alone / with | reports req/s | reports p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r['reports_on']} | {r['booking_alone']['p95_ms']:.1f} | "
        f"{r['booking_with_reports']['p95_ms']:.1f} | {r['booking_p95_rise']:+.0%} | "
        f"{r['booking_alone']['rps']:.1f} / {r['booking_with_reports']['rps']:.1f} | "
        f"{r['reports']['rps']:.1f} | {r['reports']['p95_ms']:.1f} |"
        for r in out["reports"]
    ]
    lines += [
        "",
        "## Scale-out: connections PostgreSQL holds (2 instances, slot search + booking)",
        "",
        "| via | gunicorn workers | connections max | mean | slot search req/s | booking req/s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for c in out["connections"]:
        via = f"pgbouncer (pool {c['pool_size']})" if c["pool_size"] else c["via"]
        lines.append(
            f"| {via} | {c['gunicorn_workers']} | {c['held']['max']} | {c['held']['mean']} | "
            f"{c['endpoints'][0]['rps']:.1f} | {c['endpoints'][1]['rps']:.1f} |"
        )
    return lines


def scale_out_main(args, env: dict, plan: dict, seeding: dict) -> int:
    load_before = os.getloadavg()
    out = run_scale_out(args, env, plan)
    load_after = os.getloadavg()
    checks = integrity(args.database_url, [])
    rows = [
        *out["instances"],
        *(
            r[k]
            for r in out["reports"]
            for k in ("booking_alone", "booking_with_reports", "reports")
        ),
        *(row for c in out["connections"] for row in c["endpoints"]),
    ]
    failures = []
    if any(checks[k] for k in checks if k != "contended_appointments_per_round"):
        failures.append(f"double bookings: {checks}")
    errors = sum(r["errors_5xx"] for r in rows)
    if errors:
        failures.append(f"{errors} responses were 5xx (see {BENCH_DIR}/gunicorn-*.log)")
    refused = sum(
        n
        for row in rows
        if row["key"] == "booking"
        for status, n in row["statuses"].items()
        if status != "201"
    )
    warnings = []
    if refused:
        # Single-use bookings refused (409): the data set was reused by earlier runs and its
        # plan's patients reached their booking limit. Their fast 409s inflate booking req/s.
        warnings.append(
            f"{refused} bookings were refused (not 201): run again with --reseed for clean "
            "booking figures"
        )
    targets = scale_out_targets(out)
    machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }
    results = {
        "scale": args.scale,
        "seeding": seeding,
        "machine": machine,
        "server": {"gunicorn_workers_per_instance": args.workers, "threads": args.threads},
        "load": {
            "concurrency_per_instance": args.concurrency,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "report_admins": REPORT_ADMINS,
        },
        "scale_out": out,
        "targets": targets,
        "integrity": checks,
        "warnings": warnings,
        "failures": failures,
    }
    (BENCH_DIR / "scale-out.json").write_text(json.dumps(results, indent=2))
    lines = scale_out_markdown(out)
    lines += [
        "",
        *(
            f"- {'met' if t['met'] else '**missed**'}: {t['endpoint']}: {t['target']}"
            for t in targets
        ),
    ]
    lines += [
        "",
        f"Scale {args.scale}, {args.workers} gunicorn workers per instance, "
        f"{args.duration:.0f} s per measurement; load average {machine['load_average_before']}"
        f" before, {machine['load_average_after']} after; integrity {checks}.",
    ]
    lines += [f"WARNING: {warning}" for warning in warnings]
    (BENCH_DIR / "scale-out.md").write_text("\n".join(lines) + "\n")
    print()
    print("\n".join(lines))
    print(f"Results: {BENCH_DIR / 'scale-out.json'}, {BENCH_DIR / 'scale-out.md'}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


VARIANT_KEYS = ["slot_search", "doctor_calendar", "booking"]


def run_variants(args, env: dict, plan: dict) -> list[dict]:
    """The variant endpoints on a server with other settings (each beside its own floor); the
    booking requests not yet used by the main run (a booking plan's slots are single-use)."""
    variants = []
    bookings = next(s for s in plan["scenarios"] if s["key"] == "booking")["requests"]
    offset = len(bookings) // 2
    for spec in args.variant:
        label, _, assignments = spec.partition(":")
        overrides = dict(a.split("=", 1) for a in assignments.split(",") if a)
        variant_plan = {
            **plan,
            "scenarios": [
                {**s, "requests": bookings[offset:]} if s["key"] == "booking" else s
                for s in plan["scenarios"]
            ],
        }
        offset += (len(bookings) - offset) // 2
        log(f"variant {label}: {overrides}")
        rows = measure_all(args, {**env, **overrides}, variant_plan, VARIANT_KEYS, full=False)
        variants.append({"label": label, "settings": overrides, "endpoints": rows})
    return variants


GROWTH_KEYS = [
    "slot_search",
    "doctor_calendar",
    "booking",
    "report_bookings",
    "report_revenue",
    "report_user-activity",
    "report_doctors",
]


def growth(small: list[dict], full: list[dict]) -> list[dict]:
    """Each growth endpoint at both scales: p95 and req/s, and their ratios (full / small)."""
    by_key_small = {r["key"]: r for r in small}
    out = []
    for row in full:
        if row["key"] not in GROWTH_KEYS or row["key"] not in by_key_small or row.get("run", 1) > 1:
            continue
        low = by_key_small[row["key"]]
        out.append(
            {
                "key": row["key"],
                "p95_ms": [low["p95_ms"], row["p95_ms"]],
                "rps": [low["rps"], row["rps"]],
                "p95_growth": round(row["p95_ms"] / low["p95_ms"], 3),
                "rps_change": round(row["rps"] / low["rps"] - 1, 3),
                # The same ratio against each run's own floor, which the machine's drift cancels.
                "p95_to_floor": [low["p95_ratio_to_floor"], row["p95_ratio_to_floor"]],
                "rps_to_floor": [low["rps_ratio_to_floor"], row["rps_ratio_to_floor"]],
            }
        )
    return out


def targets_of(rows: list[dict], pgbench: dict | None, growth_rows: list[dict]) -> list[dict]:
    found = []
    for row in rows:
        for key, check, text in TARGETS:
            if row["key"] == key:
                found.append(
                    {
                        "endpoint": row["name"],
                        "target": text,
                        "met": bool(check(row, row.get("floor", row))),
                    }
                )
    booking = next((r for r in rows if r["key"] == "booking"), None)
    if pgbench and booking:
        ratio = booking["rps"] / pgbench["tps"]
        found.append(
            {
                "endpoint": "booking vs pgbench replay of its SQL",
                "target": f"booking req/s >= 25% of pgbench tps ({ratio:.0%})",
                "met": ratio >= 0.25,
            }
        )
    for g in growth_rows:
        if g["key"] == "booking":
            found.append(
                {
                    "endpoint": "booking, scale growth",
                    "met": g["rps_change"] >= -0.10,
                    "target": f"req/s drops <= 10% ({g['rps_change']:+.0%})",
                }
            )
        elif g["key"].startswith("report_"):
            found.append(
                {
                    "endpoint": f"{g['key']}, scale growth",
                    "met": g["p95_growth"] <= 1.5,
                    "target": f"p95 grows <= 1.5x ({g['p95_growth']:.2f}x)",
                }
            )
        else:
            found.append(
                {
                    "endpoint": f"{g['key']}, scale growth",
                    "met": g["p95_growth"] <= 1.3,
                    "target": f"p95 grows <= 1.3x ({g['p95_growth']:.2f}x)",
                }
            )
    return found


def main() -> int:
    args = parse_args()
    BENCH_DIR.mkdir(exist_ok=True)
    env = server_env(args.database_url)
    plan, seeding = prepare(
        args.database_url,
        args.scale,
        reseed=args.reseed,
        rounds=args.rounds,
        env=env,
        # Eight booking runs of single-use slots in the scale-out run, each long enough.
        bookings=16000 if args.scale_out else 6000,
    )
    if args.scale_out:
        return scale_out_main(args, env, plan, seeding)
    small_env = small_plan = None
    if args.growth_scale:
        small_env = server_env(args.growth_database_url)
        small_plan, _ = prepare(
            args.growth_database_url,
            args.growth_scale,
            reseed=args.reseed,
            rounds=0,
            env=small_env,
        )

    load_before = os.getloadavg()
    rows = measure_all(args, env, plan, args.only, full=True)
    pgbench = None
    if not args.no_pgbench and (not args.only or "booking" in args.only):
        pgbench = replay_with_pgbench(args.database_url, env, args)
    variants = run_variants(args, env, plan)
    small_rows: list[dict] = []
    if small_plan is not None:
        keys = [k for k in GROWTH_KEYS if not args.only or k in args.only]
        log(f"growth: the same endpoints at scale {args.growth_scale}")
        small_rows = measure_all(args, small_env, small_plan, keys, full=False)
    load_after = os.getloadavg()
    growth_rows = growth(small_rows, rows)

    checks = integrity(args.database_url, [r["slots"] for r in plan["contended"]])
    contended = next((r for r in rows if r["key"] == "booking_contended"), None)
    failures = []
    if any(checks[k] for k in checks if k != "contended_appointments_per_round"):
        failures.append(f"double bookings: {checks}")
    if contended and any(n != 10 for n in checks["contended_appointments_per_round"]):
        failures.append(f"contended rounds did not end with 10 appointments: {checks}")
    variant_rows = [r for v in variants for r in v["endpoints"]]
    errors = sum(r["errors_5xx"] for r in rows + small_rows + variant_rows)
    if errors:
        failures.append(f"{errors} responses were 5xx (see {BENCH_DIR / 'gunicorn.log'})")
    if pgbench and pgbench["failed"]:
        failures.append(f"{pgbench['failed']} pgbench transactions failed")

    targets = targets_of(rows, pgbench, growth_rows)
    results = {
        "scale": args.scale,
        "growth_scale": args.growth_scale or None,
        "seeding": seeding,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
        },
        "server": {
            "gunicorn_workers": args.workers,
            "threads": args.threads,
            "worker_class": "sync" if args.threads == 1 else "gthread",
        },
        "load": {
            "concurrency": args.concurrency,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "floor_duration_s": args.floor_duration,
            "driver": "scripts/bench.py (closed loop, forked client processes)",
        },
        "report_window": plan["report_window"],
        "floor": "GET /api/v1/auth/me/, measured first, last, and for floor_duration_s "
        "before each endpoint; each endpoint's ratios are to the floor just before it",
        "endpoints": rows,
        "pgbench": pgbench,
        "variants": variants,
        "growth_endpoints": small_rows,
        "growth": growth_rows,
        "targets": targets,
        "integrity": checks,
        "failures": failures,
    }
    (BENCH_DIR / "results.json").write_text(json.dumps(results, indent=2))
    (BENCH_DIR / "results.md").write_text(markdown(results))

    print()
    print(
        f"CareSlot bench: scale {args.scale}, {args.workers} gunicorn workers x {args.threads} "
        f"threads, concurrency {args.concurrency}, {args.duration:.0f}s per endpoint, "
        f"load average {load_before[0]:.2f} before / {load_after[0]:.2f} after"
    )
    print(table(rows))
    if pgbench:
        print(
            f"\npgbench replay of a booking's SQL ({pgbench['statements_per_booking']} "
            f"statements, {pgbench['clients']} clients): {pgbench['tps']} tps"
        )
    for variant in variants:
        print(f"\nvariant {variant['label']} ({variant['settings']}):")
        print(table(variant["endpoints"]))
    if growth_rows:
        print(f"\ngrowth from scale {args.growth_scale} to {args.scale}:")
        for g in growth_rows:
            print(
                f"  {g['key']:<24} p95 {g['p95_ms'][0]:>7.1f} -> {g['p95_ms'][1]:>7.1f} ms "
                f"({g['p95_growth']:.2f}x)  req/s {g['rps'][0]:>7.1f} -> {g['rps'][1]:>7.1f} "
                f"({g['rps_change']:+.0%})  p95/floor {g['p95_to_floor'][0]:.2f} -> "
                f"{g['p95_to_floor'][1]:.2f}"
            )
    print()
    for target in targets:
        print(
            f"  {'MET   ' if target['met'] else 'MISSED'} {target['endpoint']}: {target['target']}"
        )
    print(f"  integrity: {checks}")
    print(f"Results: {BENCH_DIR / 'results.json'}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
