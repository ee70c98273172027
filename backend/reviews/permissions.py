from rest_framework.permissions import BasePermission

from .models import Review


class IsReviewAuthor(BasePermission):
    """Only the patient who wrote a review edits or deletes it."""

    message = "Only the review's author may change it."

    def has_object_permission(self, request, view, obj: Review) -> bool:
        return obj.patient.user_id == request.user.pk
