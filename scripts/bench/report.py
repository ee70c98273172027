"""The figures of a run and the tables written: each scenario's row (req/s, p50/p95/p99, its
statuses, its ratios to the floor beside it), the growth between two scales, the console table,
bench/results.json and bench/results.md (and scale-out.json and scale-out.md of --scale-out).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .plan import GROWTH_KEYS


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


def add_floor_ratios(rows: list[dict]) -> list[dict]:
    """Each row's req/s and p95 as ratios to the floor it was measured beside (a floor row's
    own are 1), and that floor's figures kept in the row."""
    for row in rows:
        beside = row.get("floor", row)
        row["rps_ratio_to_floor"] = round(row["rps"] / beside["rps"], 3)
        row["p95_ratio_to_floor"] = round(row["p95_ms"] / beside["p95_ms"], 3)
        if "floor" in row:
            row["floor"] = {k: beside[k] for k in ("rps", "p50_ms", "p95_ms", "p99_ms")}
    return rows


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


def write_results(bench_dir: Path, results: dict) -> None:
    (bench_dir / "results.json").write_text(json.dumps(results, indent=2))
    (bench_dir / "results.md").write_text(markdown(results))


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


def print_results(bench_dir: Path, results: dict) -> None:
    """The console's summary of a run: the tables, each target met or missed, any failure."""
    server, load, machine = results["server"], results["load"], results["machine"]
    print()
    print(
        f"CareSlot bench: scale {results['scale']}, {server['gunicorn_workers']} gunicorn workers "
        f"x {server['threads']} threads, concurrency {load['concurrency']}, "
        f"{load['duration_s']:.0f}s per endpoint, load average "
        f"{machine['load_average_before'][0]:.2f} before / "
        f"{machine['load_average_after'][0]:.2f} after"
    )
    print(table(results["endpoints"]))
    pgbench = results["pgbench"]
    if pgbench:
        print(
            f"\npgbench replay of a booking's SQL ({pgbench['statements_per_booking']} "
            f"statements, {pgbench['clients']} clients): {pgbench['tps']} tps"
        )
    for variant in results["variants"]:
        print(f"\nvariant {variant['label']} ({variant['settings']}):")
        print(table(variant["endpoints"]))
    if results["growth"]:
        print(f"\ngrowth from scale {results['growth_scale']} to {results['scale']}:")
        for g in results["growth"]:
            print(
                f"  {g['key']:<24} p95 {g['p95_ms'][0]:>7.1f} -> {g['p95_ms'][1]:>7.1f} ms "
                f"({g['p95_growth']:.2f}x)  req/s {g['rps'][0]:>7.1f} -> {g['rps'][1]:>7.1f} "
                f"({g['rps_change']:+.0%})  p95/floor {g['p95_to_floor'][0]:.2f} -> "
                f"{g['p95_to_floor'][1]:.2f}"
            )
    print()
    for target in results["targets"]:
        print(
            f"  {'MET   ' if target['met'] else 'MISSED'} {target['endpoint']}: {target['target']}"
        )
    print(f"  integrity: {results['integrity']}")
    print(f"Results: {bench_dir / 'results.json'}")
    for failure in results["failures"]:
        print(f"FAILED: {failure}", file=sys.stderr)


def write_scale_out(bench_dir: Path, results: dict) -> None:
    """bench/scale-out.json and bench/scale-out.md of --scale-out, the tables also printed."""
    (bench_dir / "scale-out.json").write_text(json.dumps(results, indent=2))
    machine = results["machine"]
    lines = scale_out_markdown(results["scale_out"])
    lines += [
        "",
        *(
            f"- {'met' if t['met'] else '**missed**'}: {t['endpoint']}: {t['target']}"
            for t in results["targets"]
        ),
    ]
    lines += [
        "",
        f"Scale {results['scale']}, {results['server']['gunicorn_workers_per_instance']} gunicorn "
        f"workers per instance, {results['load']['duration_s']:.0f} s per measurement; load "
        f"average {machine['load_average_before']} before, {machine['load_average_after']} "
        f"after; integrity {results['integrity']}.",
    ]
    lines += [f"WARNING: {warning}" for warning in results["warnings"]]
    (bench_dir / "scale-out.md").write_text("\n".join(lines) + "\n")
    print()
    print("\n".join(lines))
    print(f"Results: {bench_dir / 'scale-out.json'}, {bench_dir / 'scale-out.md'}")
    for failure in results["failures"]:
        print(f"FAILED: {failure}", file=sys.stderr)
