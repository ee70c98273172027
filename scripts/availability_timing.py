"""Stored bookable starts or starts computed at search time? A timing of both on one seeded
database, for the decision in docs/scheduling.md ("Availability rules: stored or computed").

It makes a scratch database (dropped at the end) with DOCTORS doctors, each with a weekly
schedule (Mon-Fri 09:00-12:00 and 14:00-18:00, Europe/Berlin) over HORIZON_DAYS, a third of its
30-minute starts booked, and times two reads each way:

- search: the first 20 free 30-minute starts of one day across all doctors;
- next available: each of 20 doctors' first free start (a directory page).

Stored: the starts are rows (as slots are today), read with an index. Computed: the rules and
the day's (or horizon's) appointments are read, and the starts generated in Python.

Usage: .venv/bin/python scripts/availability_timing.py [--doctors 1000] [--server URL]
"""

import argparse
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import psycopg

ZONE = ZoneInfo("Europe/Berlin")
HORIZON_DAYS = 90
WEEK = [(clock(9), clock(12)), (clock(14), clock(18))]  # Monday to Friday
STEP = timedelta(minutes=30)


def local_starts(day: date, intervals) -> list[datetime]:
    starts = []
    for begin, end in intervals:
        moment = datetime.combine(day, begin, ZONE).astimezone(UTC)
        stop = datetime.combine(day, end, ZONE).astimezone(UTC)
        while moment + STEP <= stop:
            starts.append(moment)
            moment += STEP
    return starts


def seed(db, doctors: int, first_day: date) -> tuple[int, int]:
    db.execute(
        """
        CREATE TABLE rule (doctor int, weekday int, begins time, ends time);
        CREATE TABLE slot (doctor int, start timestamptz, "end" timestamptz, status text);
        CREATE TABLE appointment (doctor int, start timestamptz, "end" timestamptz,
                                  before int, after int);
        """
    )
    chooser = random.Random(29)
    rules, slots, booked = [], [], []
    for doctor in range(doctors):
        for weekday in range(5):
            rules += [(doctor, weekday, begin, end) for begin, end in WEEK]
        for offset in range(HORIZON_DAYS):
            day = first_day + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for start in local_starts(day, WEEK):
                taken = chooser.random() < 0.33
                slots.append((doctor, start, start + STEP, "booked" if taken else "available"))
                if taken:
                    booked.append((doctor, start, start + STEP, 0, 0))
    with db.cursor() as cursor:
        with cursor.copy("COPY rule FROM STDIN") as copy:
            for row in rules:
                copy.write_row(row)
        with cursor.copy("COPY slot FROM STDIN") as copy:
            for row in slots:
                copy.write_row(row)
        with cursor.copy("COPY appointment FROM STDIN") as copy:
            for row in booked:
                copy.write_row(row)
    db.execute(
        """
        CREATE INDEX ON slot (start) WHERE status = 'available';
        CREATE INDEX ON slot (doctor, start) WHERE status = 'available';
        CREATE INDEX ON appointment (doctor, start);
        CREATE INDEX ON appointment (start);
        CREATE INDEX ON rule (doctor, weekday);
        ANALYZE;
        """
    )
    return len(slots), len(booked)


def stored_search(db, day: date):
    begin = datetime.combine(day, clock(0), ZONE)
    return db.execute(
        "SELECT doctor, start FROM slot WHERE status = 'available' AND start >= %s "
        "AND start < %s ORDER BY start, doctor LIMIT 20",
        [begin, begin + timedelta(days=1)],
    ).fetchall()


def computed_search(db, day: date):
    begin = datetime.combine(day, clock(0), ZONE)
    rules = db.execute(
        "SELECT doctor, begins, ends FROM rule WHERE weekday = %s", [day.weekday()]
    ).fetchall()
    busy = {}
    for doctor, start, end, before, after in db.execute(
        'SELECT doctor, start, "end", before, after FROM appointment '
        "WHERE start >= %s AND start < %s",
        [begin - timedelta(hours=4), begin + timedelta(days=1, hours=4)],
    ):
        busy.setdefault(doctor, []).append(
            (start - timedelta(minutes=before), end + timedelta(minutes=after))
        )
    by_doctor = {}
    for doctor, begins, ends in rules:
        by_doctor.setdefault(doctor, []).append((begins, ends))
    free = []
    for doctor, intervals in by_doctor.items():
        taken = busy.get(doctor, [])
        for start in local_starts(day, intervals):
            if not any(b < start + STEP and e > start for b, e in taken):
                free.append((start, doctor))
    free.sort()
    return free[:20]


def stored_next(db, doctors: list[int], now: datetime):
    return [
        db.execute(
            "SELECT start FROM slot WHERE doctor = %s AND status = 'available' AND start > %s "
            "ORDER BY start LIMIT 1",
            [doctor, now],
        ).fetchone()
        for doctor in doctors
    ]


def computed_next(db, doctors: list[int], now: datetime):
    rules = {}
    for doctor, weekday, begins, ends in db.execute(
        "SELECT doctor, weekday, begins, ends FROM rule WHERE doctor = ANY(%s)", [doctors]
    ):
        rules.setdefault((doctor, weekday), []).append((begins, ends))
    found = []
    for doctor in doctors:
        first = None
        for offset in range(HORIZON_DAYS):
            day = now.astimezone(ZONE).date() + timedelta(days=offset)
            starts = [
                s for s in local_starts(day, rules.get((doctor, day.weekday()), [])) if s > now
            ]
            if not starts:
                continue
            taken = db.execute(
                'SELECT start, "end" FROM appointment WHERE doctor = %s AND start < %s '
                'AND "end" > %s',
                [doctor, starts[-1] + STEP, starts[0]],
            ).fetchall()
            first = next(
                (s for s in starts if not any(b < s + STEP and e > s for b, e in taken)), None
            )
            if first is not None:
                break
        found.append(first)
    return found


def timed(call, repeat: int = 20) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        runs.append((time.perf_counter() - started) * 1000)
    runs.sort()
    return statistics.median(runs), runs[int(len(runs) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--doctors", type=int, default=1000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="careslot_availability_timing")
    args = parser.parse_args()
    with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
        admin.execute(f'CREATE DATABASE "{args.database}"')
    try:
        with psycopg.connect(f"{args.server}/{args.database}", autocommit=True) as db:
            first_day = datetime.now(ZONE).date() + timedelta(days=1)
            started = time.perf_counter()
            slots, booked = seed(db, args.doctors, first_day)
            print(
                f"seeded {args.doctors} doctors: {slots} stored starts, {booked} booked "
                f"({time.perf_counter() - started:.1f} s)"
            )
            day = first_day + timedelta(days=(7 - first_day.weekday()) % 7)  # a Monday
            now = datetime.now(UTC)
            doctors = list(range(0, args.doctors, max(1, args.doctors // 20)))[:20]
            assert [s for s, _ in computed_search(db, day)] == [
                s for _, s in stored_search(db, day)
            ]
            for name, call in (
                ("search one day, stored", lambda: stored_search(db, day)),
                ("search one day, computed", lambda: computed_search(db, day)),
                ("next available x20, stored", lambda: stored_next(db, doctors, now)),
                ("next available x20, computed", lambda: computed_next(db, doctors, now)),
            ):
                median, p95 = timed(call)
                print(f"{name:<32} median {median:7.2f} ms   p95 {p95:7.2f} ms")
    finally:
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
