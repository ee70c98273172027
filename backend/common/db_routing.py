"""Read replica routing (docs/scaling.md): which queries may read a PostgreSQL streaming replica.

Routing is explicit. Nothing reads the replica unless its code runs inside `replica_reads()`;
the views that do (reports and their CSV, the doctor directory, slot search) say so with
`ReplicaReadsMixin`, which enters it after authentication and permission checks (those read the
primary, so a revoked token or role is refused at once). Inside it, `ReplicaRouter` still sends
a read to the primary when

- no replica is configured (`DATABASE_REPLICA_URL` unset: there is no `replica` alias),
- the primary is inside a transaction (`transaction.atomic`, `select_for_update`: booking, holds
  and anything under a lock read what they lock, never a copy that may lag),
- this request or task has written (read your own writes), or
- the client wrote within the last `REPLICA_STICKY_SECONDS` (`mark_client_wrote`, kept in the
  cache every API instance shares, so a patient who booked on one instance and searches on
  another reads the primary too).

Every write goes to the primary and migrations run only there.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import InterfaceError, OperationalError

from .cache_health import CACHE_ERRORS, cache_degraded

logger = logging.getLogger(__name__)

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class _Routing:
    """What this request (or task, or command) has done and may do."""

    replica: bool = False
    wrote: bool = False


_routing: contextvars.ContextVar[_Routing | None] = contextvars.ContextVar(
    "careslot_db_routing", default=None
)
# Per process: after the replica failed, its reads go to the primary for a few seconds instead
# of every request waiting for a dead server first.
_replica_down_until = 0.0
REPLICA_RETRY_SECONDS = 5.0


def replica_configured() -> bool:
    return REPLICA in connections.databases


def replica_alias() -> str:
    """The alias reads inside `replica_reads()` go to now: `replica`, or `default`."""
    routing = _routing.get()
    if (
        routing is None
        or not routing.replica
        or routing.wrote
        or not replica_configured()
        or connections[DEFAULT_DB_ALIAS].in_atomic_block
        or time.monotonic() < _replica_down_until
    ):
        return DEFAULT_DB_ALIAS
    return REPLICA


def _sticky_key(client_id) -> str:
    return f"careslot:wrote:{client_id}"


def mark_client_wrote(client_id) -> None:
    """The client (a user's id) wrote: its reads use the primary for REPLICA_STICKY_SECONDS."""
    if client_id is not None and replica_configured():
        try:
            cache.set(_sticky_key(client_id), 1, timeout=settings.REPLICA_STICKY_SECONDS)
        except CACHE_ERRORS as exc:
            cache_degraded("replica_sticky", exc)


def client_wrote_recently(client_id) -> bool:
    """Unknown while the cache is down: taken as yes, so the reads stay on the primary."""
    if client_id is None:
        return False
    try:
        return cache.get(_sticky_key(client_id)) is not None
    except CACHE_ERRORS as exc:
        cache_degraded("replica_sticky", exc)
        return True


@contextmanager
def request_routing() -> Iterator[_Routing]:
    """A fresh routing state for one request (or task): nothing read from the replica, nothing
    written yet. Servers reuse threads, so the state must not outlive the request."""
    routing = _Routing()
    token = _routing.set(routing)
    try:
        yield routing
    finally:
        _routing.reset(token)


@contextmanager
def replica_reads(*, client_id=None) -> Iterator[None]:
    """Let the reads inside go to the replica (when the router agrees, see the module). With a
    `client_id` that wrote recently, they stay on the primary."""
    if not replica_configured() or client_wrote_recently(client_id):
        yield
        return
    routing = _routing.get()
    with ExitStack() as stack:
        if routing is None:  # a management command or a test: a state of its own
            routing = stack.enter_context(request_routing())
        before = routing.replica
        routing.replica = True
        try:
            yield
        finally:
            routing.replica = before


def note_replica_failure() -> None:
    global _replica_down_until
    _replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
    connections[REPLICA].close()


class ReplicaRouter:
    """`DATABASE_ROUTERS`: reads inside `replica_reads()` may go to the replica; every write,
    and every read after one, to the primary; migrations to the primary only."""

    def db_for_read(self, model, **hints) -> str | None:
        return replica_alias() if _routing.get() is not None else None

    def db_for_write(self, model, **hints) -> str:
        routing = _routing.get()
        if routing is not None:
            routing.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the primary's rows: an object read from either may point to one
        # read from the other.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool | None:
        return db == DEFAULT_DB_ALIAS


class RoutingMiddleware:
    """Gives each request a fresh routing state, and after a request that wrote (a successful
    POST, PUT, PATCH or DELETE, or any request whose code wrote through the ORM) keeps its
    user's reads on the primary for REPLICA_STICKY_SECONDS. Does nothing without a replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        with request_routing() as routing:
            response = self.get_response(request)
            wrote = routing.wrote or (
                request.method not in SAFE_METHODS and response.status_code < 400
            )
        user = getattr(request, "user", None)
        if wrote and user is not None and user.is_authenticated:
            mark_client_wrote(user.pk)
        return response


# For DRF views whose reads may come from the replica: the handler of a GET (of the viewset
# actions in `replica_actions`, when set) runs inside `replica_reads()`, after authentication
# and permission checks. If the replica fails, the handler runs again on the primary (it only
# reads), and the replica rests for a few seconds. (A comment, not a docstring: drf-spectacular
# would print a docstring as the description of every operation of the views that use it.)
class ReplicaReadsMixin:
    replica_actions: frozenset[str] | None = None

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as self._replica_scope:
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        action = getattr(self, "action", None)
        if request.method == "GET" and (
            self.replica_actions is None or action in self.replica_actions
        ):
            user = getattr(request, "user", None)
            client_id = user.pk if user is not None and user.is_authenticated else None
            self._replica_scope.enter_context(replica_reads(client_id=client_id))

    def handle_exception(self, exc):
        if isinstance(exc, OperationalError | InterfaceError) and replica_alias() == REPLICA:
            logger.warning("Replica failed (%s); reading the primary", exc.__class__.__name__)
            note_replica_failure()
            handler = getattr(self, self.request.method.lower())
            try:
                return handler(self.request, *self.args, **self.kwargs)
            except Exception as again:
                return super().handle_exception(again)
        return super().handle_exception(exc)
