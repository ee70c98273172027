"""Request and response rules that hold for every endpoint, whatever view answers."""

import logging
from http import HTTPStatus

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import JsonResponse
from django.http.request import RawPostDataException
from django.utils.cache import patch_cache_control
from psycopg import pq

from .errors import (
    database_unavailable_response,
    error_json_response,
    is_database_unavailable,
    note_database_unavailable,
    request_too_large,
)
from .parsers import forbidden_character
from .routes import route_template
from .throttling import RATE_LIMIT_ATTRIBUTE

logger = logging.getLogger(__name__)


class NoStoreMiddleware:
    """`Cache-Control: private, no-store` and `Pragma: no-cache` on every response but the
    public, data-free paths in CACHEABLE_PATH_PREFIXES (schema, docs, static files): tokens
    (RFC 6749 §5.1), personal and medical data must not stay in a browser or proxy cache, and
    marking every API response is the rule no new endpoint can forget."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(tuple(settings.CACHEABLE_PATH_PREFIXES)):
            patch_cache_control(response, private=True, no_store=True)
            response["Pragma"] = "no-cache"
        return response


# DRF's codes for the statuses it raises, so a status reads the same from every layer.
_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    413: "request_too_large",
    429: "throttled",
}
_CONTENT_HEADERS = {
    "content-type",
    "content-length",
    "content-encoding",
    "content-disposition",
    "content-language",
    "content-range",
    "accept-ranges",
    "etag",
    "last-modified",
}


class JSONErrorMiddleware:
    """Every 4xx/5xx in the one error shape: an error some other layer rendered its own way (the
    Swagger and schema views' HTML and YAML, WhiteNoise, the CSRF failure page) is rewritten,
    keeping its status and headers such as `Allow` and `Retry-After`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or _is_json(response.get("Content-Type", "")):
            return response
        return _as_json_error(response)


def _is_json(content_type: str) -> bool:
    """application/json, or a JSON-based type such as application/fhir+json (RFC 6839)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def _as_json_error(response) -> JsonResponse:
    status = response.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    code = "error" if status >= 500 else _CODES.get(status, phrase.lower().replace(" ", "_"))
    rewritten = error_json_response(status, code, f"{phrase}.")
    for name, value in response.items():
        if name.lower() not in _CONTENT_HEADERS:
            rewritten[name] = value
    rewritten.cookies = response.cookies
    # Not response.close(): it sends request_finished, which closes the database connection
    # while the request (and any middleware above this one) is still running.
    return rewritten


class RequestSizeLimitMiddleware:
    """Refuse request bodies over MAX_REQUEST_BODY_BYTES (413) before anything reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BODY_BYTES:
            return request_too_large()
        return self.get_response(request)


class ForbiddenCharactersMiddleware:
    """Refuse a NUL or a lone surrogate in the path or the query string (400) before any view,
    filter or paginator reads them: PostgreSQL text cannot hold NUL, so a lookup on such a
    value fails in the database. (Request bodies: common.parsers.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        error = forbidden_character(request.path_info)
        if error is not None:
            return error_json_response(400, error.code, f"URL path: {error}")
        # Reading GET here also makes DATA_UPLOAD_MAX_NUMBER_FIELDS a 400 (common.views).
        for name, values in request.GET.lists():
            if (error := forbidden_character(name)) is not None:
                return error_json_response(400, error.code, f"Query parameter name: {error}")
            for value in values:
                if (error := forbidden_character(value)) is not None:
                    return error_json_response(400, error.code, str(error), attr=name)
        return self.get_response(request)


class RetryOnLostConnectionMiddleware:
    """Run a view once more when its database connection died, where that is safe:

    - the statement that lost the connection was a read or ran in a transaction that never
      reached COMMIT, and no earlier write of the request may have been committed; or
    - the view deduplicates on the Idempotency-Key the request carries (its class lists the
      action in `idempotent_actions`): then even a COMMIT of unknown outcome may run again,
      since the second run finds what the first one stored.

    Last in MIDDLEWARE: it calls the view itself, after every other middleware's process_view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Django wraps the view in ATOMIC_REQUESTS' transaction only when it calls it itself.
        if connection.settings_dict["ATOMIC_REQUESTS"] or not _body_kept(request):
            return None
        watch = _CommitWatch(idempotent=_deduplicated(request, view_func))
        try:
            with connection.execute_wrapper(watch):
                response = view_func(request, *view_args, **view_kwargs)
        except DatabaseError as exc:
            if not watch.may_retry():
                return _unavailable_or_raise(exc)
        else:
            # DRF's handler answered the lost connection itself: 503 (or 500 for other errors).
            if response.status_code not in (500, 503) or not watch.may_retry():
                return response
        # The route, not the path: a path can hold a calendar feed's token or a patient's id.
        logger.warning(
            "Database connection lost; running %s %s again", request.method, route_template(request)
        )
        connection.close()
        try:
            return view_func(request, *view_args, **view_kwargs)
        except DatabaseError as exc:
            return _unavailable_or_raise(exc)


def _unavailable_or_raise(exc: DatabaseError):
    """A view outside DRF lost the database: 503 like DRF's views, whatever DEBUG says."""
    if not is_database_unavailable(exc):
        raise exc
    note_database_unavailable(exc)
    return database_unavailable_response()


def _body_kept(request) -> bool:
    """Read the body into memory now, so a second run of the view can parse it again."""
    try:
        request.body  # noqa: B018
    except RawPostDataException:  # a multipart form already streamed by an earlier middleware
        return False
    return True


def _deduplicated(request, view_func) -> bool:
    if not request.headers.get("Idempotency-Key", "").strip():
        return False
    method = request.method.lower()
    action = getattr(view_func, "actions", {}).get(method, method)  # DRF viewsets map them
    return action in getattr(getattr(view_func, "cls", None), "idempotent_actions", ())


class _CommitWatch:
    """An execute wrapper: did a statement lose the connection, and might a write have been
    committed before it?"""

    def __init__(self, *, idempotent: bool) -> None:
        self.idempotent = idempotent
        self.last_connection = None  # the driver's connection of the latest statement
        self.lost_in_statement = False
        self.may_have_committed = False
        self.writes_in_transaction = False

    def may_retry(self) -> bool:
        # Broken (psycopg): lost in or after the latest statement, at a COMMIT perhaps, or while
        # connecting before any; never closed on purpose. Error handling may have reconnected.
        broken = getattr(self.last_connection or connection.connection, "broken", False)
        if not broken or connection.in_atomic_block:
            return False
        if self.idempotent:
            return True
        ran_nothing = self.last_connection is None
        return not self.may_have_committed and (self.lost_in_statement or ran_nothing)

    def __call__(self, execute, sql, params, many, context):
        db = context["connection"]
        self.last_connection = db.connection
        if self.writes_in_transaction and not _server_transaction_open(db):
            self.may_have_committed = True  # the transaction holding them has ended
            self.writes_in_transaction = False
        autocommit = not db.in_atomic_block
        write = not (isinstance(sql, str) and sql.lstrip()[:6].upper() == "SELECT")
        try:
            result = execute(sql, params, many, context)
        except (OperationalError, InterfaceError):
            self.lost_in_statement = getattr(db.connection, "broken", False)
            # A write in autocommit mode commits on its own, perhaps before the connection went.
            self.may_have_committed |= write and autocommit
            raise
        if write and autocommit:
            self.may_have_committed = True
        elif write:
            self.writes_in_transaction = True
        return result


def _server_transaction_open(db) -> bool:
    info = getattr(db.connection, "info", None)  # psycopg's; unknown elsewhere: assume ended
    return info is not None and info.transaction_status != pq.TransactionStatus.IDLE


class RateLimitHeadersMiddleware:
    """Writes the RateLimit headers a throttle recorded on the request (common.throttling)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        figures = getattr(request, RATE_LIMIT_ATTRIBUTE, None)
        if figures:
            response["RateLimit-Limit"] = str(figures["limit"])
            response["RateLimit-Remaining"] = str(figures["remaining"])
            response["RateLimit-Reset"] = str(figures["reset"])
            response["RateLimit-Policy"] = f"{figures['limit']};w={figures['window']}"
        return response
