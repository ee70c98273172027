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

The package: `plan` (what is measured and the targets each figure is held to), `load` (the
database, the servers and the clients that drive them), `report` (the figures and the tables
written). This module reads the options and runs them in order.

Usage: python -m scripts.bench [--scale 1] [--duration 20] [--concurrency 5] [--workers 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys

from .load import (
    BENCH_DIR,
    integrity,
    log,
    measure_all,
    prepare,
    replay_with_pgbench,
    run_scale_out,
    run_variants,
    server_env,
)
from .plan import (
    BOOKINGS,
    GROWTH_KEYS,
    REPORT_ADMINS,
    SCALE_OUT_BOOKINGS,
    scale_out_targets,
    targets_of,
)
from .report import growth, print_results, write_results, write_scale_out


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench", description=__doc__.split("\n\n")[0]
    )
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
    write_scale_out(BENCH_DIR, results)
    return 1 if failures else 0


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
        bookings=SCALE_OUT_BOOKINGS if args.scale_out else BOOKINGS,
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
            "driver": "scripts/bench (closed loop, forked client processes)",
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
    write_results(BENCH_DIR, results)
    print_results(BENCH_DIR, results)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
