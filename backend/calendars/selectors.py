"""Calendar feed reads: a user's own feeds, a feed by its token, and what it shows."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import UserRole
from appointments.models import Appointment

from .models import CalendarFeed, FeedRole
from .services import hash_token

# How far back a feed reaches, and the most events it carries (calendar apps poll it).
FEED_PAST_DAYS = 90
FEED_MAX_EVENTS = 500


def feeds_of(user) -> QuerySet[CalendarFeed]:
    if not user.is_authenticated:
        return CalendarFeed.objects.none()
    return CalendarFeed.objects.filter(user=user)


def feed_for_token(token: str) -> CalendarFeed | None:
    """The feed of this token, if its owner is active and still holds the feed's role."""
    holds_role = UserRole.objects.filter(user=OuterRef("user"), role=OuterRef("role"))
    return (
        CalendarFeed.objects.select_related("user")
        .filter(Exists(holds_role), token_hash=hash_token(token), user__is_active=True)
        .first()
    )


def appointments_in_feed(feed: CalendarFeed) -> list[Appointment]:
    """The feed owner's appointments in its role, from FEED_PAST_DAYS ago on, cancelled ones
    included (a calendar must learn that an event it has was cancelled)."""
    mine = (
        {"patient__user": feed.user_id}
        if feed.role == FeedRole.PATIENT
        else {"doctor__user": feed.user_id}
    )
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    return list(
        Appointment.objects.filter(**mine, start__gte=since)
        .select_related("patient__user", "doctor__user", "clinic")
        .order_by("start", "id")[:FEED_MAX_EVENTS]
    )
