"""What `make bench` measures and what it holds each figure to.

The scenarios themselves (the endpoints loaded, in the order they run, each with its concrete
requests) are built from the seeded database by `manage.py bench_plan`
(backend/devtools/bench_scenarios.py, `build_plan`): a new bench row is a scenario there, and,
if it has a target, a line of TARGETS here. Every scenario is measured beside the floor
(GET /api/v1/auth/me/) sampled just before it, and its ratios are to that floor.
"""

from __future__ import annotations

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


# The run's own data set and the plan's single-use bookings (a booking run takes each slot
# once): eight booking runs in the scale-out run, each long enough.
BOOKINGS = 6000
SCALE_OUT_BOOKINGS = 16000


def expected_sizes(scale: float) -> dict:
    return {
        "doctors": max(2, round(1000 * scale)),
        "patients": max(2, round(50000 * scale)),
        "clinics": max(1, round(100 * scale)),
    }


# Measured again on a server with other settings (--variant).
VARIANT_KEYS = ["slot_search", "doctor_calendar", "booking"]


# Measured again at --growth-scale, in the same run.
GROWTH_KEYS = [
    "slot_search",
    "doctor_calendar",
    "booking",
    "report_bookings",
    "report_revenue",
    "report_user-activity",
    "report_doctors",
]


# The scale-out run (docs/scaling.md).
REPORT_ADMINS = 5
PLATFORM_REPORTS = ("bookings", "revenue", "user-activity", "doctors")


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


def scale_out_targets(out: dict) -> list[dict]:
    replica = next(r for r in out["reports"] if r["reports_on"] == "replica")
    return [
        {
            "endpoint": "booking beside 5 admins' reports, reports on the replica",
            "target": f"booking p95 rises <= 20% ({replica['booking_p95_rise']:+.0%})",
            "met": replica["booking_p95_rise"] <= 0.20,
        }
    ]
