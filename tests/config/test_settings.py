"""Settings come from the environment; docker-compose's variables must all be understood."""

import json
import re
import subprocess
from pathlib import Path

import yaml

from tests.config.django_process import run_django

ROOT = Path(__file__).resolve().parents[2]
DUMP = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "DATABASE": [db["ENGINE"], db["HOST"], db["PORT"], db["NAME"], db["USER"]],
    "CONN_MAX_AGE": db["CONN_MAX_AGE"],
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "ACCESS_MINUTES": settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() / 60,
    "REFRESH_DAYS": settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].days,
    "LOCKOUT": [
        settings.AXES_ENABLED,
        settings.AXES_FAILURE_LIMIT,
        settings.AXES_COOLOFF_TIME.total_seconds() / 60,
    ],
    "CORS_ALLOWED_ORIGINS": settings.CORS_ALLOWED_ORIGINS,
    "CACHE": [settings.CACHES["default"]["BACKEND"], settings.CACHES["default"]["LOCATION"]],
    "TRUSTED_PROXY_COUNT": settings.TRUSTED_PROXY_COUNT,
    "NUM_PROXIES": settings.REST_FRAMEWORK["NUM_PROXIES"],
    "CONN_HEALTH_CHECKS": db["CONN_HEALTH_CHECKS"],
}))
"""


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    drop = ("DATABASE_URL", "CACHE_URL", "ALLOW_PER_PROCESS_CACHE", "TRUSTED_PROXY_COUNT")
    return run_django(DUMP, env, drop=drop)


def compose_api_environment() -> dict[str, str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    raw = compose["services"]["api"]["environment"]

    def resolve(value: str) -> str:
        value = str(value)
        value = re.sub(r"\$\{SECRET_KEY:\?[^}]*\}", "compose-test-secret-" + "x" * 40, value)
        return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)

    return {key: resolve(value) for key, value in raw.items()}


def test_every_docker_compose_variable_is_applied_by_production_settings():
    env = compose_api_environment()
    result = load_settings(env)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)

    expected = {
        "DJANGO_SETTINGS_MODULE": lambda: loaded["DEBUG"] is False,
        "DATABASE_URL": lambda: (
            loaded["DATABASE"]
            == ["django.db.backends.postgresql", "db", 5432, "careslot", "postgres"]
        ),
        "SECRET_KEY": lambda: loaded["SECRET_KEY"].startswith("compose-test-secret-"),
        "ALLOWED_HOSTS": lambda: loaded["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1"],
        "EMAIL_URL": lambda: (
            loaded["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
        ),
        "SECURE_SSL_REDIRECT": lambda: loaded["SECURE_SSL_REDIRECT"] is False,
        "JWT_ACCESS_MINUTES": lambda: loaded["ACCESS_MINUTES"] == 5,
        "JWT_REFRESH_DAYS": lambda: loaded["REFRESH_DAYS"] == 7,
        "CONN_MAX_AGE": lambda: loaded["CONN_MAX_AGE"] == 60 and loaded["CONN_HEALTH_CHECKS"],
        "CACHE_URL": lambda: (
            loaded["CACHE"] == ["django_redis.cache.RedisCache", "redis://redis:6379/0"]
        ),
        "TRUSTED_PROXY_COUNT": lambda: loaded["TRUSTED_PROXY_COUNT"] == loaded["NUM_PROXIES"] == 0,
    }
    assert set(env) == set(expected), "a docker-compose variable has no settings check"
    for name, check in expected.items():
        assert check(), (name, loaded)


def test_production_refuses_to_start_without_secret_key():
    result = load_settings(
        {"DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": ""}
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


PRODUCTION = {"DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": "s" * 50}


def test_production_refuses_to_start_with_a_cache_the_server_processes_do_not_share():
    result = load_settings(PRODUCTION)  # CACHE_URL unset: the per-process default
    assert result.returncode != 0
    assert "Set CACHE_URL to a cache every server process shares" in result.stderr


def test_a_single_process_deployment_may_allow_a_per_process_cache():
    result = load_settings({**PRODUCTION, "ALLOW_PER_PROCESS_CACHE": "true"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["CACHE"][0].endswith("LocMemCache")
    result = load_settings(
        {**PRODUCTION, "ALLOW_PER_PROCESS_CACHE": "true", "CACHE_URL": "dummycache://"}
    )
    assert result.returncode != 0
    assert "dummy cache" in result.stderr


def test_one_trusted_proxy_count_feeds_drf_too():
    result = load_settings(
        {**PRODUCTION, "CACHE_URL": "redis://r:6379/0", "TRUSTED_PROXY_COUNT": "1"}
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["TRUSTED_PROXY_COUNT"] == loaded["NUM_PROXIES"] == 1
    result = load_settings(
        {**PRODUCTION, "CACHE_URL": "redis://r:6379/0", "TRUSTED_PROXY_COUNT": "-1"}
    )
    assert result.returncode != 0
    assert "TRUSTED_PROXY_COUNT must be 0 or more" in result.stderr


def test_unset_database_url_means_the_embedded_sqlite_file():
    result = load_settings({"DJANGO_SETTINGS_MODULE": "config.settings.local"})
    assert result.returncode == 0, result.stderr
    engine, _, _, name, _ = json.loads(result.stdout)["DATABASE"]
    assert engine == "django.db.backends.sqlite3"
    assert name.endswith("var/careslot.sqlite3")


def test_login_lockout_is_on_by_default():
    result = load_settings({"DJANGO_SETTINGS_MODULE": "config.settings.local"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["LOCKOUT"] == [True, 5, 15]


def test_environment_overrides_defaults():
    result = load_settings(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "api.example.com",
            "EMAIL_URL": "smtp+tls://user:secret@mail.example.com:587",
            "JWT_ACCESS_MINUTES": "2",
            "AXES_ENABLED": "false",
            "AXES_FAILURE_LIMIT": "8",
            "AXES_COOLOFF_MINUTES": "60",
            "CORS_ALLOWED_ORIGINS": "https://app.example.com,http://localhost:3000",
        }
    )
    loaded = json.loads(result.stdout)
    assert loaded["DEBUG"] is False
    assert loaded["ALLOWED_HOSTS"] == ["api.example.com"]
    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["ACCESS_MINUTES"] == 2
    assert loaded["LOCKOUT"] == [False, 8, 60]
    assert loaded["CORS_ALLOWED_ORIGINS"] == ["https://app.example.com", "http://localhost:3000"]


def test_no_cors_origin_is_allowed_by_default():
    result = load_settings({"DJANGO_SETTINGS_MODULE": "config.settings.local"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["CORS_ALLOWED_ORIGINS"] == []


DEVTOOLS_COMMANDS = """
from django.core.management import get_commands
print(sorted(name for name in ("seed_demo", "seed_scale", "bench_plan") if name in get_commands()))
"""


def load_devtools(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_django(DEVTOOLS_COMMANDS, {"ALLOW_PER_PROCESS_CACHE": "true", **env}, drop=())


def test_production_settings_cannot_run_the_bench_tooling():
    """`seed_scale --reset` truncates every table: the production image must not carry it."""
    production = load_devtools({**PRODUCTION, "CACHE_URL": "redis://127.0.0.1:6379/0"})
    bench = load_devtools({**PRODUCTION, "DJANGO_SETTINGS_MODULE": "config.settings.bench"})
    assert (production.returncode, bench.returncode) == (0, 0), production.stderr + bench.stderr
    assert production.stdout.strip() == "[]"
    assert bench.stdout.strip() == "['bench_plan', 'seed_demo', 'seed_scale']"
