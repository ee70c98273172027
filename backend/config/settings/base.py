"""Settings shared by every environment; every value comes from the environment."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from common.logs import configure_structlog, logging_settings

BACKEND_DIR = Path(__file__).resolve().parents[2]
PROJECT_DIR = BACKEND_DIR.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "config.apps.CareSlotAdminConfig",  # django.contrib.admin, signed in with a second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "guardian",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "common",
    "taskqueue",
    "audit",
    "accounts",
    "patients",
    "doctors",
    "clinics",
    "registration",
    "scheduling",
    "directory",
    "appointments",
    "reviews",
    "loyalty",
    "reports",
    "records",
    "calendars",
    "waitlist",
    "administration",
    "webhooks",
    "fhir_r4",
    "integrations",
]
# The demo and bench tooling (`seed_demo`, `seed_scale --reset`, which truncates every table)
# is installed by the local, test and bench settings only, never by production's.
DEVTOOLS_APPS = ["devtools"]

MIDDLEWARE = [
    # Outermost: times the whole answer, logs it once and gives every answer its X-Request-ID.
    "common.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A fresh read-replica routing state per request; keeps a writer's reads on the primary.
    "common.db_routing.RoutingMiddleware",
    # Outside everything that can answer, so every answer is marked (and, below, error-shaped).
    "common.middleware.NoStoreMiddleware",
    # Before anything that can answer on its own, so those answers carry CORS headers too.
    "corsheaders.middleware.CorsMiddleware",
    # Outside JSONErrorMiddleware: every error on /fhir/ becomes an OperationOutcome.
    "fhir_r4.outcomes.OperationOutcomeMiddleware",
    "common.middleware.JSONErrorMiddleware",
    "common.middleware.RequestSizeLimitMiddleware",
    "common.middleware.ForbiddenCharactersMiddleware",
    "common.middleware.RateLimitHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Tells the admin site whether the session was verified by a second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Reads the caller DRF authenticated: a client's successful writes go to the audit log.
    "integrations.middleware.IntegrationWriteAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.RetryOnLostConnectionMiddleware",
]

# Public, data-free paths that may be cached; every other response is `private, no-store`
# (common.middleware.NoStoreMiddleware).
CACHEABLE_PATH_PREFIXES = ["/api/schema/", "/api/docs/", "/api/redoc/", "/static/"]

# Response headers for every environment (production adds HSTS and the HTTPS redirect).
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Not "no-referrer": over HTTPS, Django's CSRF check (the admin) falls back to the Referer
# when a browser sends no Origin.
SECURE_REFERRER_POLICY = "same-origin"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# An unset DATABASE_URL means the embedded SQLite file, so `make run` needs no server.
SQLITE_PATH = env.path(
    "CARESLOT_SQLITE_PATH", default=str(PROJECT_DIR / "var" / "careslot.sqlite3")
)
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
# A PostgreSQL streaming replica for the heavy reads (reports, CSV exports, the directory and
# slot search; docs/scaling.md). Unset: no `replica` alias, and everything reads the primary.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
DATABASE_ROUTERS = ["common.db_routing.ReplicaRouter"]
# After a client (a user) wrote, its reads stay on the primary this long, on every API
# instance (the key lives in the shared cache): longer than the replica's lag ever is.
REPLICA_STICKY_SECONDS = env.int("REPLICA_STICKY_SECONDS", default=10)


def database_options(database: dict, *, pgbouncer: bool, prepared_statements: bool) -> dict:
    """The connection settings every alias shares, and psycopg's for a PostgreSQL one."""
    database["ATOMIC_REQUESTS"] = False
    database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    # A persistent connection the server dropped is replaced before a request uses it.
    database["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
    if database["ENGINE"] != "django.db.backends.postgresql":
        return database
    if pgbouncer and prepared_statements:
        # PgBouncer before 1.21 (Debian 12 ships 1.18) hands a transaction any server
        # connection: a statement prepared on one is unknown on the next.
        raise ImproperlyConfigured(
            "DATABASE_PREPARED_STATEMENTS cannot be used with DATABASE_PGBOUNCER "
            "(transaction pooling): turn one off."
        )
    if prepared_statements:
        # Parameters bound by the server, so psycopg prepares a statement it has run 5 times
        # on a connection and PostgreSQL reuses its plan: the hot queries take longer to plan
        # than to run (docs/performance.md). Pays off with persistent connections.
        database.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    if pgbouncer:
        # PgBouncer in transaction mode: a connection is the server's for one transaction only.
        # psycopg never prepares (None), and Django opens no server-side cursor (a cursor
        # declared WITHOUT HOLD lives in a transaction the pooler may have handed on).
        database.setdefault("OPTIONS", {}).update(prepare_threshold=None)
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
    return database


database_options(
    DATABASES["default"],
    pgbouncer=env.bool("DATABASE_PGBOUNCER", default=False),
    prepared_statements=env.bool("DATABASE_PREPARED_STATEMENTS", default=False),
)
if "replica" in DATABASES:
    database_options(
        DATABASES["replica"],
        pgbouncer=env.bool("DATABASE_REPLICA_PGBOUNCER", default=False),
        prepared_statements=env.bool("DATABASE_PREPARED_STATEMENTS", default=False),
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` has two processes writing (the server and the worker). In SQLite's default
    # deferred mode a transaction that read first cannot take the write lock while the other
    # holds it and fails at once ("database is locked", a 500); IMMEDIATE takes the lock at
    # BEGIN, where the busy timeout waits for it, and WAL lets readers go on meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out login is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
    "guardian.backends.ObjectPermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout (django-axes, docs/security.md): failures are counted in the database per email
# *and* client network (the /64 of an IPv6 address, an IPv4 address itself), so a guesser is
# stopped without letting anyone who knows a patient's email lock that patient out from
# everywhere. Each attempt during a lockout restarts the cool-off.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.backends.lockout_username"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "common.client_ip.client_network"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
# Per account, from any address (accounts.backoff): after the free failures each further one
# doubles the wait before the next attempt is checked, up to the maximum; a delay, never a lock.
LOGIN_BACKOFF_FREE_FAILURES = env.int("LOGIN_BACKOFF_FREE_FAILURES", default=10)
LOGIN_BACKOFF_BASE_SECONDS = env.int("LOGIN_BACKOFF_BASE_SECONDS", default=30)
LOGIN_BACKOFF_MAX_SECONDS = env.int("LOGIN_BACKOFF_MAX_SECONDS", default=15 * 60)
LOGIN_BACKOFF_MEMORY_SECONDS = env.int("LOGIN_BACKOFF_MEMORY_SECONDS", default=24 * 3600)
# Two-factor sign-in for staff (docs/security.md, "Two-factor sign-in"): the roles that must enrol
# a TOTP device before they get tokens (comma-separated; empty: nobody must, though anyone
# enrolled still signs in with a code). A clinic can require it of its admins and doctors too.
MFA_REQUIRED_ROLES = frozenset(env.list("CARESLOT_MFA_REQUIRED_ROLES", default=["platform_admin"]))
# How long the challenge a login answers with can be used for the code (or for enrolling).
MFA_CHALLENGE_SECONDS = env.int("MFA_CHALLENGE_SECONDS", default=300)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="CareSlot")
# django-otp's own per-device throttle would refuse the right code after a wrong one; wrong codes
# are counted by the lockout and the per-account backoff like wrong passwords instead.
OTP_TOTP_THROTTLE_FACTOR = 0
# The access log would open a session (and set a cookie) on every JWT login; last_login is kept.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# AxesMiddleware only swaps a locked-out response for axes' own page; the login endpoint
# answers `account_locked` in the one error shape itself, and the admin login just refuses.
SILENCED_SYSTEM_CHECKS = ["axes.W002"]

# guardian: no anonymous user row; anonymous callers never get object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(PROJECT_DIR / "var" / "static"))
# WhiteNoise serves the offline Swagger UI / Redoc assets when DEBUG is off (gunicorn, Docker).
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Email: EMAIL_URL (e.g. smtp+tls://user:pass@host:587) or the console backend by default.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# A worker waiting on a dead SMTP server gives up (and retries later) well within its lease.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CareSlot <no-reply@careslot.local>")
# Where a mail tells people to write when something needs a person (a disputed license number).
SUPPORT_EMAIL = env("SUPPORT_EMAIL", default="support@careslot.local")
# Links in emails point at the front end that hosts the confirm/reset pages.
FRONTEND_URL = env("FRONTEND_URL", default="http://127.0.0.1:8000")
EMAIL_CONFIRMATION_MAX_AGE = env.int("EMAIL_CONFIRMATION_MAX_AGE", default=3 * 24 * 3600)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)

# Background work (docs/rules.md, "Deployment shape"): a task is a row written in the request's own
# transaction (django-tasks' database backend); `manage.py worker` runs it, retries transient
# failures with exponential backoff and jitter, and takes back tasks whose worker died (the lease).
TASKS = {"default": {"BACKEND": "taskqueue.backend.ContextCarryingBackend"}}
TASK_MAX_ATTEMPTS = env.int("TASK_MAX_ATTEMPTS", default=10)
TASK_RETRY_BASE_SECONDS = env.float("TASK_RETRY_BASE_SECONDS", default=30.0)
TASK_RETRY_MAX_SECONDS = env.float("TASK_RETRY_MAX_SECONDS", default=3600.0)
# A running task not finished within its lease is taken to be orphaned (its worker died) and
# runs again; it must comfortably exceed the longest task, hence EMAIL_TIMEOUT well below it.
TASK_LEASE_SECONDS = env.int("TASK_LEASE_SECONDS", default=300)
# /readyz answers 503 when the oldest task ready to run has waited longer than this.
TASK_HEALTH_MAX_LAG_SECONDS = env.int("TASK_HEALTH_MAX_LAG_SECONDS", default=300)
# The worker touches this file on every turn of its loop (polling, or waiting for the
# database): compose's health check of the worker reads its age. Empty: no file.
TASK_WORKER_HEARTBEAT_FILE = env("TASK_WORKER_HEARTBEAT_FILE", default="")
# Reminders before each appointment, in hours; whole days are counted in the clinic's calendar
# (the 24-hour reminder comes at the same local time the day before, across DST changes too).
APPOINTMENT_REMINDER_HOURS = [
    int(hours) for hours in env.list("APPOINTMENT_REMINDER_HOURS", default=["24", "2"])
]


def bounded_cache(config: dict) -> dict:
    """Redis down or hung costs a request at most a second per call, not a worker's timeout:
    the throttles and the replica stickiness then degrade (docs/operations.md, "Faults")."""
    if config["BACKEND"] == "django_redis.cache.RedisCache":
        config.setdefault("OPTIONS", {}).update(SOCKET_CONNECT_TIMEOUT=1, SOCKET_TIMEOUT=1)
    return config


# Throttle counters live here: several server processes must share one (Redis, CACHE_URL).
CACHES = {"default": bounded_cache(env.cache_url("CACHE_URL", default="locmemcache://careslot"))}

# How many reverse proxies stand in front of the API (docs/security.md). 0: the socket address
# is the client. Throttles, django-axes and the access logs all read it via common.client_ip.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")

REST_FRAMEWORK = {
    # Integration clients' tokens first: it leaves every other token to the users' JWT class.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.authentication.IntegrationClientAuthentication",
        "accounts.authentication.CareSlotJWTAuthentication",
    ],
    # Lets every request through but an integration client's, limited per client.
    "DEFAULT_THROTTLE_CLASSES": ["integrations.throttling.IntegrationClientThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "common.filters.StrictDjangoFilterBackend",
        "common.filters.StableOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "common.openapi.CareSlotAutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["common.parsers.StrictJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Views throttle with common.throttling, which ignores this; stock DRF throttles would agree.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "login": env("THROTTLE_LOGIN", default="10/min"),
        # the second-factor code and the enrolment, per client network
        "second_factor": env("THROTTLE_SECOND_FACTOR", default="10/min"),
        "register": env("THROTTLE_REGISTER", default="10/hour"),
        "password_reset": env("THROTTLE_PASSWORD_RESET", default="5/hour"),
        "confirmation_resend": env("THROTTLE_CONFIRMATION_RESEND", default="5/hour"),
        "integration_token": env("THROTTLE_INTEGRATION_TOKEN", default="30/min"),
    },
}

# CORS (django-cors-headers): browser apps on these origins (comma-separated, exact
# `scheme://host[:port]`) may call the API. Tokens travel in the Authorization header, not in
# cookies, so credentials stay off; there is no allow-all switch.
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/api/"
# so a browser client can honour 429s and see its budget (common.throttling)
CORS_EXPOSE_HEADERS = [
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
]

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
}
# A session (the refresh tokens one login starts) ends this long after the login however often it
# is refreshed: rotation renews a refresh token's own expiry, never the session's.
SESSION_MAX_AGE = timedelta(days=env.int("SESSION_MAX_AGE_DAYS", default=30))

# Integration clients (docs/integrations.md): access tokens' lifetime, the default rate per
# client, how far ahead a client assertion may expire, the secrets' prefix (for scanners), and
# extra `aud` values a private_key_jwt assertion may name besides the token URL as this server
# sees it (the public URL, behind a proxy that rewrites the host or scheme).
INTEGRATION_TOKEN_MINUTES = env.int("INTEGRATION_TOKEN_MINUTES", default=5)
INTEGRATION_REQUESTS_PER_MINUTE = env.int("INTEGRATION_REQUESTS_PER_MINUTE", default=600)
INTEGRATION_ASSERTION_MAX_SECONDS = 300
INTEGRATION_SECRET_PREFIX = "csk_live_"
INTEGRATION_TOKEN_AUDIENCES = env.list("INTEGRATION_TOKEN_AUDIENCES", default=[])

SPECTACULAR_SETTINGS = {
    "TITLE": "CareSlot API",
    "DESCRIPTION": (
        "Doctor and clinic booking platform. Authenticate with `POST /api/v1/auth/login/` "
        "and send `Authorization: Bearer <access>`. Every error body has the shape "
        '`{"type": ..., "errors": [{"code", "detail", "attr"}]}`.'
    ),
    "VERSION": "1.0.0",
    "CONTACT": {"name": "CareSlot API team", "email": "api@careslot.example"},
    "LICENSE": {"name": "Proprietary", "url": "https://careslot.example/terms"},
    "SERVERS": [{"url": "/", "description": "The server that serves this schema"}],
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.models.Role",
        "GenderEnum": "patients.models.Gender",
        "PaymentStatusEnum": "appointments.models.PaymentStatus",
        "RecordablePaymentStatusEnum": [("paid", "paid"), ("refunded", "refunded")],
        "EntryTypeEnum": "records.models.EntryType",
        "AccessActionEnum": "records.models.AccessAction",
        "FeedRoleEnum": "calendars.models.FeedRole",
        **{
            name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
            for name in [
                "ValidationErrorEnum",
                "ClientErrorEnum",
                "ServerErrorEnum",
                *(f"ErrorCode{status}Enum" for status in (404, 405, 406, 415, 429, 500)),
            ]
        },
        "ErrorCode401Enum": "common.openapi.ErrorCode401Enum.choices",
        "ErrorCode403Enum": "common.openapi.ErrorCode403Enum.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "common.openapi.postprocess_error_schemas",
        "common.openapi_contract.postprocess_contract",
    ],
}

DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "common.exception_handler.CareSlotExceptionHandler",
    "ENABLE_IN_DEBUG_FOR_UNHANDLED_EXCEPTIONS": True,
    "ALLOWED_ERROR_STATUS_CODES": [
        "400",
        "401",
        "403",
        "404",
        "405",
        "406",
        "413",
        "415",
        "429",
    ],
    # The 401/403 codes CareSlot uses beyond DRF's own, and the 413 (common.openapi).
    "ERROR_SCHEMAS": {
        "401": "common.openapi.ErrorResponse401Serializer",
        "403": "common.openapi.ErrorResponse403Serializer",
        "413": "common.openapi.ErrorResponse413Serializer",
    },
}

# Logs (docs/operations.md#logs): readable lines by default, one JSON object a line with
# LOG_FORMAT=json (the production default). Never patient data: see common.logs.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json.")
LOGGING = logging_settings(json=LOG_FORMAT == "json", level=env("LOG_LEVEL", default="INFO"))
configure_structlog()

# GET /metrics (Prometheus, docs/operations.md#metrics) answers a scraper sending
# `Authorization: Bearer <METRICS_TOKEN>` or calling from METRICS_ALLOWED_NETWORKS (CIDRs, as
# common.client_ip sees the caller); anyone else gets a 404. Both unset: nobody.
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])

# Platform rules (docs/rules.md: booking, money and points).
CANCELLATION_CUTOFF_HOURS = env.int("CANCELLATION_CUTOFF_HOURS", default=24)
# How far ahead slots may be published; also the latest day a report covers (common.date_windows).
SLOT_HORIZON_DAYS = env.int("SLOT_HORIZON_DAYS", default=730)
if not 1 <= SLOT_HORIZON_DAYS <= 3660:
    raise ImproperlyConfigured("SLOT_HORIZON_DAYS must be from 1 to 3660 (ten years).")
# How long a doctor's emergency ("break-glass") read access to a patient's history lasts.
BREAK_GLASS_MINUTES = env.int("BREAK_GLASS_MINUTES", default=60)
# Abuse limits (OWASP API4/API6).
MAX_ACTIVE_BOOKINGS_PER_PATIENT = env.int("MAX_ACTIVE_BOOKINGS_PER_PATIENT", default=5)
# Families (docs/families.md): a guardian's access to a minor ends on this birthday.
AGE_OF_MAJORITY = env.int("AGE_OF_MAJORITY", default=18)
if not 14 <= AGE_OF_MAJORITY <= 21:
    raise ImproperlyConfigured("AGE_OF_MAJORITY must be from 14 to 21.")
MAX_DEPENDENTS_PER_PATIENT = env.int("MAX_DEPENDENTS_PER_PATIENT", default=10)
# Retention of operational data, in days (docs/privacy.md; `manage.py prune_operational_data`).
LOGIN_EVENT_RETENTION_DAYS = env.int("LOGIN_EVENT_RETENTION_DAYS", default=400)
TASK_RESULT_RETENTION_DAYS = env.int("TASK_RESULT_RETENTION_DAYS", default=30)
FAILED_TASK_RETENTION_DAYS = env.int("FAILED_TASK_RETENTION_DAYS", default=90)
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=90)
SLOT_HOLD_RETENTION_DAYS = env.int("SLOT_HOLD_RETENTION_DAYS", default=30)
DEPENDENT_CLAIM_MAX_AGE_SECONDS = env.int("DEPENDENT_CLAIM_MAX_AGE_SECONDS", default=7 * 24 * 3600)
# How long a proxy grant's invitation may be accepted (docs/families.md).
PROXY_INVITATION_MAX_AGE_SECONDS = env.int(
    "PROXY_INVITATION_MAX_AGE_SECONDS", default=7 * 24 * 3600
)
# FHIR (docs/fhir.md): how many weeks of slots the public SMART Scheduling Links manifest
# ($bulk-publish) lists, one Slot file per week from today.
FHIR_PUBLISH_WEEKS = env.int("FHIR_PUBLISH_WEEKS", default=4)
MAX_PATIENT_CANCELLATIONS_PER_DAY = env.int("MAX_PATIENT_CANCELLATIONS_PER_DAY", default=5)
# Slot holds (checkout) and the waitlist's offers (docs/holds-and-waitlist.md).
SLOT_HOLD_MINUTES = env.int("SLOT_HOLD_MINUTES", default=10)
MAX_ACTIVE_HOLDS_PER_PATIENT = env.int("MAX_ACTIVE_HOLDS_PER_PATIENT", default=3)
# Against hoarding (docs/holds-and-waitlist.md): after a patient's hold on a slot ends without a
# booking, the slot is everyone's for this long before that patient may hold it again; and a
# patient places at most this many holds in any 24 hours.
SLOT_HOLD_COOLDOWN_MINUTES = env.int("SLOT_HOLD_COOLDOWN_MINUTES", default=30)
MAX_HOLDS_PER_PATIENT_PER_DAY = env.int("MAX_HOLDS_PER_PATIENT_PER_DAY", default=20)
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=30)
MAX_WAITLIST_ENTRIES_PER_PATIENT = env.int("MAX_WAITLIST_ENTRIES_PER_PATIENT", default=10)
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=256 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# No request body CareSlot takes nests deeper than 3; common.parsers refuses deeper ones.
MAX_JSON_DEPTH = env.int("MAX_JSON_DEPTH", default=32)
TRANSACTION_FEE_PERCENT = Decimal(env.str("TRANSACTION_FEE_PERCENT", default="3.00"))
TRANSACTION_FEE_FIXED = Decimal(env.str("TRANSACTION_FEE_FIXED", default="0.50"))
CURRENCY = env("CURRENCY", default="EUR")
# A video visit's join link: `{room}` is the appointment's secret room, `{appointment}` its id.
VIDEO_JOIN_URL_TEMPLATE = env(
    "VIDEO_JOIN_URL_TEMPLATE", default="https://video.careslot.example/join/{room}"
)
POINTS_PER_COMPLETED_APPOINTMENT = env.int("POINTS_PER_COMPLETED_APPOINTMENT", default=10)
POINTS_FOR_FREE_BOOKING = env.int("POINTS_FOR_FREE_BOOKING", default=100)
# Shared secret of the payment provider's signed webhook; the webhook refuses calls while unset.
PAYMENT_WEBHOOK_SECRET = env("PAYMENT_WEBHOOK_SECRET", default="")
PAYMENT_WEBHOOK_TOLERANCE_SECONDS = env.int("PAYMENT_WEBHOOK_TOLERANCE_SECONDS", default=300)

# Outgoing webhooks (docs/webhooks.md). Endpoints must be https, on an allowed port, and resolve
# to public addresses; WEBHOOK_ALLOW_PRIVATE_NETWORKS lifts the address and port rules for local
# development (never in production: it lets clinics make the worker call the private network).
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)
WEBHOOK_ALLOWED_PORTS = [int(port) for port in env.list("WEBHOOK_ALLOWED_PORTS", default=[443, 80])]
WEBHOOK_REQUIRE_HTTPS = env.bool("WEBHOOK_REQUIRE_HTTPS", default=not DEBUG)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10.0)
WEBHOOK_TOTAL_TIMEOUT_SECONDS = env.float("WEBHOOK_TOTAL_TIMEOUT_SECONDS", default=30.0)
WEBHOOK_RESPONSE_EXCERPT_BYTES = env.int("WEBHOOK_RESPONSE_EXCERPT_BYTES", default=1024)
# Attempts per delivery (at most TASK_MAX_ATTEMPTS), with the worker's backoff between them.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
# Deliveries failed in a row (each after its retries) that disable an endpoint.
WEBHOOK_MAX_CONSECUTIVE_FAILURES = env.int("WEBHOOK_MAX_CONSECUTIVE_FAILURES", default=10)
WEBHOOK_MAX_ENDPOINTS_PER_CLINIC = env.int("WEBHOOK_MAX_ENDPOINTS_PER_CLINIC", default=10)
WEBHOOK_SECRET_ROTATION_GRACE_HOURS = env.int("WEBHOOK_SECRET_ROTATION_GRACE_HOURS", default=24)
