"""Reads of reviews, scoped to the caller (docs/rules.md, "Who may do what")."""

from django.db.models import Q, QuerySet

from accounts.permissions import is_platform_admin

from .models import Review


def _reviews() -> QuerySet[Review]:
    return Review.objects.select_related("patient__user", "doctor__user")


def reviews_visible_to(user) -> QuerySet[Review]:
    """Visible reviews of doctors in the directory, plus the caller's own reviews (even hidden);
    platform admins see every review."""
    reviews = _reviews()
    if not user.is_authenticated:
        return reviews.none()
    if is_platform_admin(user):
        return reviews
    listed = Q(is_hidden=False, doctor__is_confirmed=True, doctor__user__is_active=True)
    return reviews.filter(listed | Q(patient__user=user))


def reviews_written_by(user) -> QuerySet[Review]:
    """The caller's own reviews, hidden ones included."""
    if not user.is_authenticated:
        return _reviews().none()
    return _reviews().filter(patient__user=user)
