"""`make run` sets up on the embedded SQLite database: migrate, then seed_demo, which books,
cancels and completes through the same services the API uses. The suite itself runs on
PostgreSQL, so only this test sees what SQLite cannot run (raw SQL, row locks, UUID binding)."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, sqlite_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    for name in ("DATABASE_URL", "CACHE_URL"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        CARESLOT_SQLITE_PATH=str(sqlite_path),
    )
    return subprocess.run(
        [sys.executable, str(ROOT / "backend" / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )


def test_migrate_and_seed_demo_book_on_sqlite(tmp_path):
    database = tmp_path / "careslot.sqlite3"
    for command in (("migrate", "--noinput", "-v0"), ("seed_demo",)):
        result = manage(*command, sqlite_path=database)
        assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(database) as db:
        statuses = dict(
            db.execute(
                "SELECT status, COUNT(*) FROM appointments_appointment GROUP BY status"
            ).fetchall()
        )
        booked_slots = db.execute(
            "SELECT COUNT(*) FROM scheduling_slot WHERE status = 'booked'"
        ).fetchone()[0]
        # One of them a visit type's, found by the search filter's SQLite arithmetic.
        typed = db.execute(
            "SELECT modality, video_room FROM appointments_appointment "
            "WHERE visit_type_id IS NOT NULL"
        ).fetchall()
    assert statuses == {"booked": 3, "completed": 3}
    assert [(modality, bool(room)) for modality, room in typed] == [("video", True)]
    assert booked_slots >= statuses["booked"]
