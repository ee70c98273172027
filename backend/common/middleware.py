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
    """Run a view once more when its database connection died before anything was committed.

    The retry is safe: the statement that lost the connection was a read or ran inside a
    transaction that never reached COMMIT, and no earlier statement of the request committed a
    write. A connection lost during COMMIT is never retried, since its outcome is unknown (a
    booking's Idempotency-Key lets the client retry that one). Last in MIDDLEWARE: it calls the
    view itself, after every other middleware's process_view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not _body_kept(request):
            return None
        watch = _CommitWatch()
        try:
            with connection.execute_wrapper(watch):
                response = view_func(request, *view_args, **view_kwargs)
        except DatabaseError:
            if not watch.may_retry():
                raise
        else:
            if response.status_code != 500 or not watch.may_retry():
                return response
        logger.warning("Database connection lost before commit; retrying %s", request.path)
        connection.close()
        return view_func(request, *view_args, **view_kwargs)


def _body_kept(request) -> bool:
    """Read the body into memory now, so a second run of the view can parse it again."""
    try:
        request.body  # noqa: B018
    except RawPostDataException:  # a multipart form already streamed by an earlier middleware
        return False
    return True


class _CommitWatch:
    """An execute wrapper: did a statement lose the connection, and might a write have been
    committed before it?"""

    def __init__(self) -> None:
        self.lost = False
        self.committed = False
        self.writes_in_transaction = False

    def may_retry(self) -> bool:
        return self.lost and not self.committed and not connection.in_atomic_block

    def __call__(self, execute, sql, params, many, context):
        db = context["connection"]
        if self.writes_in_transaction and not _server_transaction_open(db):
            self.committed = True  # the transaction holding them ended: committed, perhaps
            self.writes_in_transaction = False
        autocommit = not db.in_atomic_block
        write = not (isinstance(sql, str) and sql.lstrip()[:6].upper() == "SELECT")
        try:
            result = execute(sql, params, many, context)
        except (OperationalError, InterfaceError):
            # A write in autocommit mode may have committed before the connection went.
            if getattr(db.connection, "closed", False) and not (write and autocommit):
                self.lost = True
            raise
        if write and autocommit:
            self.committed = True
        elif write:
            self.writes_in_transaction = True
        return result


def _server_transaction_open(db) -> bool:
    info = getattr(db.connection, "info", None)  # psycopg's; unknown elsewhere: assume ended
    return info is not None and info.transaction_status != pq.TransactionStatus.IDLE
