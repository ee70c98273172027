"""Driving the load: the bench database (created, migrated, seeded, the plan written), the
gunicorn servers, and the closed-loop clients that send the plan's requests to them.

The load is closed-loop: each client process (forked from this one, never inside the server)
sends one request, waits for the whole answer, and sends the next, for the duration after a
short warm-up.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import secrets
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from scripts.process_group import stop

from .plan import BOOKINGS, PLATFORM_REPORTS, REPORT_ADMINS, REPORTS, VARIANT_KEYS, expected_sizes
from .report import add_floor_ratios, summarize

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
MANAGE = [str(PYTHON), str(ROOT / "backend" / "manage.py")]
BENCH_DIR = ROOT / "bench"
HOST = "127.0.0.1"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(args: list[str], env: dict) -> None:
    log(" ".join(args[1:] if args[0] == str(PYTHON) else args))
    subprocess.run(args, env=env, check=True, cwd=ROOT)


# -- the database ----------------------------------------------------------------------------


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
    url: str, scale: float, *, reseed: bool, rounds: int, env: dict, bookings: int = BOOKINGS
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


def load_scenario(
    pool, port: int, scenario: dict, *, duration: float, warmup: float, concurrency: int
):
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
                row = load_scenario(
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
    return add_floor_ratios(rows)


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


# -- scale-out (docs/scaling.md) ----------------------------------------------------------------


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
