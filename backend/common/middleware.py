import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import JsonResponse
from django.http.request import RawPostDataException
from psycopg import pq

logger = logging.getLogger(__name__)


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
            detail = f"The request body is larger than {settings.MAX_REQUEST_BODY_BYTES} bytes."
            return JsonResponse(
                {
                    "type": "client_error",
                    "errors": [{"code": "request_too_large", "detail": detail, "attr": None}],
                },
                status=413,
            )
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
        except DatabaseError:
            if not watch.may_retry():
                raise
        else:
            if response.status_code != 500 or not watch.may_retry():
                return response
        logger.warning(
            "Database connection lost; running %s %s again", request.method, request.path
        )
        connection.close()
        return view_func(request, *view_args, **view_kwargs)


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
