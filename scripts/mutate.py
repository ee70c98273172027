"""Mutation testing of the rule-bearing modules with mutmut (`make mutate`, docs/testing.md).

    python scripts/mutate.py [MODULE ...]      e.g. appointments/fees.py; all of MODULES if none

mutmut 3 names a mutant after the file's path below the directory it runs in and checks that
name against the function's `__module__` at run time, so it cannot run from the repository root
(the file `backend/appointments/fees.py` is the module `appointments.fees`). Each module
therefore gets a scratch directory `var/mutmut/<module>/` that holds the backend's packages
(symlinked) and `tests/` at its root, with a generated pyproject.toml that tells mutmut which
file to mutate and which tests cover it. mutmut copies that tree into `mutants/`, runs the
covering tests once to learn which test reaches which function, then runs only those tests
against each mutant in a forked process.

MUTATE_RECHECK=1 keeps a module's scratch tree and runs again only the mutants that were not
killed (after new tests were written): mutmut maps the new tests incrementally, and the killed
mutants keep their verdict, which tests that were only added cannot change.

Each module's run gets a test database of its own, made fresh from the migrations and dropped
afterwards (`<DATABASE_URL's name>_mutate_<pid>`, with the `test_test_...` ones that mutmut's
children make): a test database that `make test` or an earlier run left behind (once without
guardian's Permission rows) is never reused.

Mutants run one at a time by default (MUTATE_CHILDREN): the forked children would share one
test database, and the transactional tests of one would flush the rows of another.

Prints one line per module and writes var/mutmut/scores.json; exits non-zero when a module
scores below the target.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
BACKEND = ROOT / "backend"
WORK = ROOT / "var" / "mutmut"
TARGET = 85.0

# Module -> the test files that exercise it. The covering tests go through the API (views call
# services), so each module lists its app's tests plus the other apps' tests that reach it.
# Tests that need real gunicorn servers (tests/servers.py) serve the unmutated code from
# backend/ and cannot see a mutant, so none are listed.
MODULES: dict[str, list[str]] = {
    "appointments/fees.py": [
        "tests/appointments/test_fees.py",
    ],
    "appointments/payments.py": [
        "tests/appointments/test_payments.py",
        "tests/appointments/test_webhook.py",
        "tests/appointments/test_payments_rules.py",
        "tests/appointments/test_payments_race.py",
        "tests/webhooks/test_delivery.py::test_each_service_sends_its_event_without_medical_data",
    ],
    "loyalty/services.py": [
        "tests/loyalty",
        "tests/appointments/test_reschedule.py",
        "tests/appointments/test_transitions.py",
    ],
    "reviews/services.py": ["tests/reviews"],
    "records/services.py": ["tests/records"],
    "accounts/services.py": [
        "tests/accounts/test_email_confirmation.py",
        "tests/accounts/test_login_and_tokens.py",
        "tests/accounts/test_login_lockout.py",
        "tests/accounts/test_enumeration.py",
        "tests/accounts/test_passwords.py",
        "tests/accounts/test_registration.py",
        "tests/accounts/test_token_families.py",
        "tests/accounts/test_me.py",
        "tests/administration/test_user_admin.py",
        "tests/administration/test_doctor_vetting.py",
        "tests/accounts/test_services_rules.py",
    ],
    "scheduling/services.py": [  # the slot holds included
        "tests/scheduling",
        "tests/appointments/test_reschedule.py",
        "tests/waitlist",
        "tests/concurrency/test_hold_race.py",
    ],
    "appointments/services.py": [
        "tests/appointments",
        "tests/loyalty/test_points.py",
        "tests/waitlist",
    ],
    # The newer rule-bearing modules (issue 34).
    "webhooks/services.py": [
        "tests/webhooks",
        "tests/appointments/test_reschedule.py",
    ],
    # The tests of the address rules and of the request itself, and the deliveries that read
    # what `post` answers (status, excerpt, latency) or raises; the rest of test_delivery.py
    # reaches `post` too but checks only the services, and made each surviving mutant run
    # for minutes.
    "webhooks/network.py": [
        "tests/webhooks/test_ssrf.py",
        "tests/webhooks/test_https_delivery.py",
        "tests/webhooks/test_endpoints.py",
        "tests/webhooks/test_delivery.py::test_a_booking_reaches_the_receiver_signed_as_the_standard_says",
        "tests/webhooks/test_delivery.py::test_a_500_is_retried_and_the_log_keeps_both_attempts",
        "tests/webhooks/test_delivery.py::test_a_4xx_is_not_retried",
        "tests/webhooks/test_delivery.py::test_a_refused_connection_is_retried_up_to_the_limit",
        "tests/webhooks/test_delivery.py::test_a_name_that_does_not_resolve_is_retried",
    ],
    "waitlist/services.py": [
        "tests/waitlist",
        "tests/concurrency/test_waitlist_race.py",
    ],
    "calendars/services.py": [
        "tests/calendars",
    ],
    # The FHIR booking path: an Appointment read into a booking, a PUT or PATCH into a cancel.
    "fhir_r4/booking.py": [
        "tests/fhir_r4/test_booking.py",
        "tests/fhir_r4/test_booking_rules.py",
        "tests/fhir_r4/test_authorization.py",
        "tests/integrations/test_scopes.py",
    ],
    # The task worker's retry, dead-letter and lease rules (taskqueue/policy.py), through the
    # in-process tests; tests that start `manage.py worker` processes run the unmutated code.
    "taskqueue/policy.py": [
        "tests/tasks/test_policy.py",
        "tests/tasks/test_retries.py",
        "tests/tasks/test_upstream.py",
    ],
}


def _database_url_for_this_run() -> tuple[str, str]:
    """(DATABASE_URL, test database name) of a database that exists only for this module's run:
    pytest-django creates `test_<name>` fresh with every migration (and the Permission rows
    guardian reads), and the script drops it afterwards. A test database left behind by `make
    test` or an earlier run is never reused."""
    base = urlsplit(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/careslot")
    # Short enough that the `test_test_...` names of mutmut's children (see _drop_database)
    # stay within PostgreSQL's 63 characters: every module of a run reuses the name, dropped
    # before and after each module.
    name = f"{(base.path.lstrip('/') or 'careslot')[:20]}_mutate_{os.getpid()}"
    return urlunsplit(base._replace(path=f"/{name}")), f"test_{name}"


def _drop_database(database_url: str, name: str) -> None:
    """Drop the run's test database and the ones named after it: mutmut's forked children
    start a pytest session whose settings already name `test_<name>`, so pytest-django makes
    `test_test_<name>` (and so on) beside it."""
    import psycopg

    server = urlunsplit(urlsplit(database_url)._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT datname FROM pg_database WHERE datname ~ %s", [f"^(test_)+{name[5:]}"]
            )
        ]
        for database in names:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _toml(value) -> str:
    # JSON strings, lists and numbers are valid TOML values.
    return json.dumps(value)


def _scratch(module: str) -> Path:
    return WORK / module.removesuffix(".py").replace("/", ".")


def _prepare(module: str, tests: list[str], *, fresh: bool) -> Path:
    work = _scratch(module)
    packages = sorted(p.name for p in BACKEND.iterdir() if (p / "__init__.py").exists())
    if fresh:
        if work.exists():
            shutil.rmtree(work)  # no verdict is carried over from an older source
        work.mkdir(parents=True)
        for name in packages:
            (work / name).symlink_to(BACKEND / name)
        (work / "tests").symlink_to(ROOT / "tests")

    pytest_options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"
    ]
    # A test may be named by its pytest node id (`path::test`): the path must exist.
    existing = [t for t in tests if (ROOT / t.split("::", 1)[0]).exists()]
    lines = [
        "[tool.pytest.ini_options]",
        f"DJANGO_SETTINGS_MODULE = {_toml(pytest_options['DJANGO_SETTINGS_MODULE'])}",
        'pythonpath = ["."]',  # the packages sit at the root of mutants/
        'testpaths = ["tests"]',
        f"addopts = {_toml(pytest_options['addopts'] + ' -p no:cacheprovider')}",
        f"filterwarnings = {_toml(pytest_options['filterwarnings'])}",
        f"markers = {_toml(pytest_options.get('markers', []))}",
        f"timeout = {_toml(pytest_options.get('timeout', 0))}",
        "",
        "[tool.mutmut]",
        f"source_paths = {_toml(packages)}",
        f"only_mutate = {_toml([module])}",
        f"pytest_add_cli_args_test_selection = {_toml(existing)}",
        "use_git_change_detection = false",
        # mutmut's wall-clock limit is (estimated + constant) * multiplier seconds. Its default
        # constant of 1 s turns a slow start of pytest on a loaded machine into a "timeout",
        # which counts as a kill; 30 s keeps those honest and still ends an endless loop.
        "timeout_constant = 30",
        "timeout_multiplier = 5",
        "",
    ]
    (work / "pyproject.toml").write_text("\n".join(lines))
    return work


def _not_killed(work: Path, mutmut: str) -> list[str]:
    listing = subprocess.run(
        [mutmut, "results"], cwd=work, check=True, capture_output=True, text=True
    ).stdout
    return [line.split(":")[0].strip() for line in listing.splitlines() if ":" in line]


def _score(work: Path) -> dict:
    stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
    tested = stats["total"] - stats.get("skipped", 0)
    killed = stats["killed"] + stats.get("timeout", 0)
    stats["score"] = round(100 * killed / tested, 1) if tested else 0.0
    return stats


def main(argv: list[str]) -> int:
    modules = argv or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        print(f"unknown module(s) {unknown}; known: {', '.join(MODULES)}", file=sys.stderr)
        return 2
    mutmut = str(ROOT / ".venv" / "bin" / "mutmut")
    # A stopped run (SIGTERM, e.g. from `timeout`) still stops mutmut and drops its databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    children = os.environ.get("MUTATE_CHILDREN", "1")
    scores_file = WORK / "scores.json"
    scores = {}
    failed = False
    recheck = os.environ.get("MUTATE_RECHECK") == "1"
    for module in modules:
        again = recheck and (_scratch(module) / "mutants" / "mutmut-cicd-stats.json").exists()
        work = _prepare(module, MODULES[module], fresh=not again)
        names = _not_killed(work, mutmut) if again else []
        if again and not names:
            print(f"==> {module}: every mutant was killed already", flush=True)
        else:
            print(f"==> mutmut on {module} ({work.relative_to(ROOT)})", flush=True)
            command = [mutmut, "run", "--max-children", children, *names]
            database_url, test_database = _database_url_for_this_run()
            _drop_database(database_url, test_database)
            env = {**os.environ, "DATABASE_URL": database_url}
            try:
                run = subprocess.run(command, cwd=work, check=False, env=env)
            finally:
                _drop_database(database_url, test_database)
            if run.returncode != 0:
                print(f"mutmut failed on {module} (exit {run.returncode})", file=sys.stderr)
                failed = True
                continue
        subprocess.run([mutmut, "export-cicd-stats"], cwd=work, check=True)
        survivors = subprocess.run(
            [mutmut, "results"], cwd=work, check=True, capture_output=True, text=True
        ).stdout
        (work / "survivors.txt").write_text(survivors)
        stats = _score(work)
        scores[module] = stats
        # Runs of other modules may have written theirs meanwhile: merge, do not overwrite.
        recorded = json.loads(scores_file.read_text()) if scores_file.exists() else {}
        scores_file.write_text(json.dumps(recorded | {module: stats}, indent=2))
        failed |= stats["score"] < TARGET
    print("\nmodule                        mutants  killed  timeout  survived  no-tests  score")
    for module in modules:
        if module not in scores:
            print(f"{module:<30}  (no result)")
            continue
        s = scores[module]
        print(
            f"{module:<30}{s['total']:>7}{s['killed']:>8}{s.get('timeout', 0):>9}"
            f"{s['survived']:>10}{s.get('no_tests', 0):>10}{s['score']:>6.1f}%"
        )
    print(f"survivors per module: var/mutmut/<module>/survivors.txt (target {TARGET:.0f}%)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
