"""Structured logs: one pipeline (structlog over the standard logging module) that renders every
record, ours and libraries', either as one JSON object a line (production) or as a readable
line (development), with the request id of the request or task it belongs to.

What goes into a log line is chosen, never dumped: request lines carry the route template, not
the path (which can hold ids and calendar tokens) nor the query string (which can hold names and
emails). docs/operations.md lists the fields; tests/common/test_no_patient_data_in_logs.py
performs every operation with recognizable personal values and finds none of them in the logs.
"""

import logging
import re
import traceback
import uuid

import structlog

from .routes import route_template

# X-Request-ID as a trusted proxy sets it: a UUID, a hex or base64url id, a few separators.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+/=-]{0,127}")

SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_structlog() -> None:
    """structlog hands its events to the standard logging module, whose handlers (LOGGING)
    render them with the same processors as any library's records."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def logging_settings(*, json: bool, level: str) -> dict:
    """The LOGGING setting: every record to stderr, rendered as JSON or as a plain line."""
    renderer = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json
        # Python's own traceback text, whatever else is installed (rich would draw boxes).
        else [
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            )
        ]
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "route_not_path": {"()": "common.logs.RouteNotPathFilter"},
            "no_database_error_text": {"()": "common.logs.DatabaseErrorTextFilter"},
        },
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    *renderer,
                ],
                "foreign_pre_chain": SHARED_PROCESSORS,
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "filters": ["route_not_path", "no_database_error_text"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Only ours: Django's defaults add a second console handler (raw paths, DEBUG) and
            # mail_admins (request bodies in the mail).
            "django": {"handlers": [], "level": level, "propagate": True},
            # runserver's own access line holds the raw path and query string; our request
            # line (careslot.request) replaces it.
            "django.server": {"handlers": [], "level": "ERROR", "propagate": False},
        },
    }


class RouteNotPathFilter(logging.Filter):
    """django.request logs `Not Found: <path>` for every 4xx and 5xx; the path can hold a
    calendar feed's token. Name the route template instead (a 500 keeps its traceback)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if record.name == "django.request" and request is not None:
            reason = record.args[0] if isinstance(record.args, tuple) and record.args else ""
            record.msg, record.args = "%s: %s", (reason, route_template(request))
            del record.request  # a renderer listing extras must not find the request in it
        return True


class DatabaseErrorTextFilter(logging.Filter):
    """A database error's text quotes the rows it concerns (PostgreSQL's DETAIL: `Key
    (email)=(...)`). A record carrying one keeps its traceback's frames and each exception's
    type, never that text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and _holds_database_error(record.exc_info[1]):
            frames = "".join(_without_messages(traceback.TracebackException(*record.exc_info)))
            record.msg, record.args = "%s\n%s", (record.getMessage(), frames.rstrip())
            record.exc_info, record.exc_text = None, None
        return True


def _holds_database_error(exc: BaseException | None) -> bool:
    from django.db import Error as DjangoDatabaseError
    from psycopg import Error as PsycopgError

    while exc is not None:
        if isinstance(exc, DjangoDatabaseError | PsycopgError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _without_messages(exception: traceback.TracebackException):
    """Python's traceback text for the chain, each exception named by its type alone."""
    if exception.__cause__ is not None:
        yield from _without_messages(exception.__cause__)
        yield "\nThe above exception was the direct cause of the following exception:\n\n"
    elif exception.__context__ is not None and not exception.__suppress_context__:
        yield from _without_messages(exception.__context__)
        yield "\nDuring handling of the above exception, another exception occurred:\n\n"
    yield "Traceback (most recent call last):\n"
    yield from exception.stack.format()
    yield f"{exception.exc_type.__module__}.{exception.exc_type.__qualname__}\n"


def request_id_from_header(value: str | None) -> str | None:
    """A request id a trusted proxy sent, if it looks like one; anything else is dropped, so a
    hostile header never reaches a log line verbatim."""
    if value and _REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex
