"""Calendar feed writes: create, rotate and revoke a person's private feed URL."""

import hashlib
import secrets

from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.permissions import has_role
from common.errors import ConflictError, DomainError

from .models import CalendarFeed


class FeedExists(ConflictError):
    default_code = "feed_exists"
    default_detail = "You already have a feed for this role: rotate or revoke it."


class RoleRequired(DomainError):
    status_code = 403
    default_code = "role_required"
    default_detail = "You do not hold this role."


def hash_token(token: str) -> str:
    """The stored form of a feed token. A token carries 256 random bits, so a plain SHA-256
    (no salt, no slow hash) is enough: nobody can guess it, and it is found by its hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def create_feed(*, user: User, role: str) -> tuple[CalendarFeed, str]:
    """A new feed for the user in `role` (which they must hold); returns it and its token."""
    if not has_role(user, role):
        raise RoleRequired(f"You do not hold the {role} role.")
    if CalendarFeed.objects.filter(user=user, role=role).exists():
        raise FeedExists()
    token = _new_token()
    try:
        with transaction.atomic():
            feed = CalendarFeed.objects.create(user=user, role=role, token_hash=hash_token(token))
    except IntegrityError as exc:  # the same request twice at once
        raise FeedExists() from exc
    return feed, token


@transaction.atomic
def rotate_feed(*, feed: CalendarFeed) -> tuple[CalendarFeed, str]:
    """A new token for the feed; the old URL stops working at once."""
    token = _new_token()
    feed.token_hash = hash_token(token)
    feed.save(update_fields=["token_hash", "updated_at"])
    return feed, token


@transaction.atomic
def revoke_feed(*, feed: CalendarFeed) -> None:
    feed.delete()


def revoke_feeds_of(*, user: User) -> int:
    """Every feed URL of `user` stops working (their sessions were ended); returns how many."""
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    return deleted
