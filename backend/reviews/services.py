"""Review writes. Each one locks the doctor row first, then recomputes the doctor's
`average_rating` and `review_count` from the visible reviews in the same transaction."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from rest_framework.exceptions import NotFound

from accounts.models import User
from appointments.models import Appointment, AppointmentStatus
from common.errors import ConflictError, field_error
from doctors.models import Doctor

from .models import ModerationAction, Review, ReviewModerationEvent

RATING_STEP = Decimal("0.01")


class AppointmentNotCompleted(ConflictError):
    default_code = "appointment_not_completed"
    default_detail = "Only a completed appointment can be reviewed."


class ReviewExists(ConflictError):
    default_code = "review_exists"
    default_detail = "This appointment has already been reviewed; edit that review instead."


class ReviewAlreadyHidden(ConflictError):
    default_code = "review_already_hidden"
    default_detail = "This review is already hidden."


class ReviewHiddenByModeration(ConflictError):
    default_code = "review_hidden"
    default_detail = (
        "A hidden review cannot be deleted: it would leave the appointment free to be reviewed "
        "again, unmoderated. Edit it instead, or ask for it to be shown again."
    )


class ReviewNotHidden(ConflictError):
    default_code = "review_not_hidden"
    default_detail = "This review is not hidden."


def average_rating(total: int, count: int) -> Decimal | None:
    """The exact mean `total / count` rounded half-up to 2 places; None without reviews.
    Decimal division, not Django's Avg (a float): 169/40 is 4.225 exactly and must round to
    4.23, while the float 169/40 is 4.22499... and would round to 4.22."""
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(RATING_STEP, rounding=ROUND_HALF_UP)


def _lock_doctor(doctor_id) -> Doctor:
    # Serializes every review write of one doctor, so each recomputation sees the others'
    # committed rows. NO KEY UPDATE: bookings, which only reference the doctor row (KEY SHARE),
    # are not held up by it.
    return Doctor.objects.select_for_update(no_key=True).get(pk=doctor_id)


def _lock_review(review: Review) -> Review:
    locked = Review.objects.select_for_update().filter(pk=review.pk).first()
    if locked is None:  # deleted by a request that held the doctor lock before us
        raise NotFound("No such review.")
    return locked


def _store_rating(doctor: Doctor) -> None:
    figures = Review.objects.filter(doctor=doctor, is_hidden=False).aggregate(
        total=Sum("rating"), count=Count("id")
    )
    doctor.average_rating = average_rating(figures["total"] or 0, figures["count"])
    doctor.review_count = figures["count"]
    doctor.save(update_fields=["average_rating", "review_count", "updated_at"])


@transaction.atomic
def create_review(*, appointment: Appointment, rating: int, comment: str = "") -> Review:
    """The appointment's patient reviews it, once, after it was completed."""
    doctor = _lock_doctor(appointment.doctor_id)
    if appointment.status != AppointmentStatus.COMPLETED:
        raise AppointmentNotCompleted()
    # Under the doctor lock this check cannot race; the one-to-one backs it up regardless.
    if Review.objects.filter(appointment=appointment).exists():
        raise ReviewExists()
    review = Review(
        appointment=appointment,
        patient_id=appointment.patient_id,
        doctor=doctor,
        rating=rating,
        comment=comment,
    )
    _save(review)
    _store_rating(doctor)
    return review


def _save(review: Review, **kwargs) -> None:
    try:
        with transaction.atomic():
            review.save(**kwargs)
    except IntegrityError as exc:
        if "review_rating_1_to_5" in str(exc):
            raise field_error("rating", "A rating is 1 to 5.", code="out_of_range") from exc
        if "appointment_id" in str(exc):
            raise ReviewExists() from exc
        raise


@transaction.atomic
def update_review(
    *, review: Review, rating: int | None = None, comment: str | None = None
) -> Review:
    """The author changes the rating or the comment. A hidden review stays hidden."""
    doctor = _lock_doctor(review.doctor_id)
    review = _lock_review(review)
    if rating is not None:
        review.rating = rating
    if comment is not None:
        review.comment = comment
    _save(review, update_fields=["rating", "comment", "updated_at"])
    _store_rating(doctor)
    return review


@transaction.atomic
def delete_review(*, review: Review) -> None:
    """The author withdraws the review, unless a moderator hid it: the moderation decision and
    its log stay, and the author may still edit the hidden review."""
    doctor = _lock_doctor(review.doctor_id)
    review = _lock_review(review)
    if review.is_hidden:
        raise ReviewHiddenByModeration()
    review.delete()
    _store_rating(doctor)


@transaction.atomic
def hide_review(*, review: Review, moderator: User, reason: str) -> Review:
    """A platform admin hides a review from the doctor's list and average, saying why."""
    doctor = _lock_doctor(review.doctor_id)
    review = _lock_review(review)
    if review.is_hidden:
        raise ReviewAlreadyHidden()
    review.is_hidden = True
    review.hidden_reason = reason
    review.hidden_by = moderator
    review.hidden_at = timezone.now()
    review.save(
        update_fields=["is_hidden", "hidden_reason", "hidden_by", "hidden_at", "updated_at"]
    )
    ReviewModerationEvent.objects.create(
        review=review, action=ModerationAction.HIDE, reason=reason, moderator=moderator
    )
    _store_rating(doctor)
    return review


@transaction.atomic
def unhide_review(*, review: Review, moderator: User, reason: str = "") -> Review:
    """A platform admin shows a hidden review again; the moderation log keeps the history."""
    doctor = _lock_doctor(review.doctor_id)
    review = _lock_review(review)
    if not review.is_hidden:
        raise ReviewNotHidden()
    review.is_hidden = False
    review.hidden_reason = ""
    review.hidden_by = None
    review.hidden_at = None
    review.save(
        update_fields=["is_hidden", "hidden_reason", "hidden_by", "hidden_at", "updated_at"]
    )
    ReviewModerationEvent.objects.create(
        review=review, action=ModerationAction.UNHIDE, reason=reason, moderator=moderator
    )
    _store_rating(doctor)
    return review
