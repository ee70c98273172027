from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from accounts.permissions import IsPlatformAdmin, any_role
from appointments.selectors import appointments_visible_to
from common.schema import error_response
from common.serializers import UUID_PATTERN

from . import services
from .filters import ReviewFilter
from .models import Review
from .permissions import IsReviewAuthor
from .selectors import reviews_visible_to, reviews_written_by
from .serializers import (
    HideSerializer,
    ModeratedReviewSerializer,
    OwnReviewSerializer,
    ReviewCreateSerializer,
    ReviewSerializer,
    ReviewUpdateSerializer,
    UnhideSerializer,
)

TAGS = ["reviews"]
IsPatient = any_role(Role.PATIENT)


@extend_schema_view(
    list=extend_schema(
        summary="List reviews (e.g. a doctor's: `?doctor=<id>`)",
        description=(
            "Visible reviews of doctors in the directory, newest first; the reviewer is shown "
            "as first name and initial. `?is_hidden=true` lists hidden reviews: every one for "
            "platform admins, a patient's own otherwise."
        ),
        tags=TAGS,
    ),
    retrieve=extend_schema(summary="Get a review", tags=TAGS),
    destroy=extend_schema(
        summary="Delete my review",
        description=(
            "The doctor's average rating and review count are updated at once. A review a "
            "moderator hid cannot be deleted (409 `review_hidden`): that would let its author "
            "write it again unmoderated. It can still be edited, and stays hidden."
        ),
        tags=TAGS,
        responses={
            204: None,
            409: error_response("ReviewDeleteConflict", "The review is hidden.", "review_hidden"),
        },
    ),
)
class ReviewViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ReviewSerializer
    permission_classes = [IsAuthenticated]
    filterset_class = ReviewFilter
    ordering_fields = ["created_at", "rating"]
    ordering = ["-created_at"]
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return reviews_visible_to(self.request.user)

    def get_permissions(self):
        extra = {
            "create": [IsPatient()],
            "mine": [IsPatient()],
            "partial_update": [IsReviewAuthor()],
            "destroy": [IsReviewAuthor()],
            "hide": [IsPlatformAdmin()],
            "unhide": [IsPlatformAdmin()],
        }.get(self.action, [])
        return [IsAuthenticated(), *extra]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action == "list" and not self.request.query_params.get("is_hidden"):
            # The public list shows what counts in the average; hidden ones only on request.
            queryset = queryset.filter(is_hidden=False)
        return queryset

    @extend_schema(
        summary="Review my completed appointment",
        description=(
            "Once per appointment, by its patient, after the doctor marked it completed. The "
            "doctor's average rating and review count are updated in the same transaction. "
            "An appointment you cannot see is a 404."
        ),
        tags=TAGS,
        request=ReviewCreateSerializer,
        responses={
            201: OwnReviewSerializer,
            409: error_response(
                "ReviewCreateConflict",
                "Not completed yet, or already reviewed.",
                "appointment_not_completed",
                "review_exists",
            ),
        },
    )
    def create(self, request: Request) -> Response:
        data = ReviewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = (
            appointments_visible_to(request.user)
            .filter(pk=data.validated_data["appointment"])
            .first()
        )
        if appointment is None:
            raise NotFound("No such appointment.")
        if appointment.patient.user_id != request.user.pk:
            raise PermissionDenied("Only the appointment's patient may review it.")
        review = services.create_review(
            appointment=appointment,
            rating=data.validated_data["rating"],
            comment=data.validated_data["comment"],
        )
        return Response(self._fresh(review, OwnReviewSerializer), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="My reviews",
        description="Every review you wrote, hidden ones included, newest first.",
        tags=TAGS,
        responses={200: OwnReviewSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def mine(self, request: Request) -> Response:
        reviews = self.filter_queryset(reviews_written_by(request.user))
        page = self.paginate_queryset(reviews)
        return self.get_paginated_response(OwnReviewSerializer(page, many=True).data)

    @extend_schema(
        summary="Edit my review",
        description="A hidden review stays hidden. The doctor's average is updated at once.",
        tags=TAGS,
        request=ReviewUpdateSerializer(partial=True),
        responses={200: OwnReviewSerializer},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        review = self.get_object()
        data = ReviewUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        review = services.update_review(review=review, **data.validated_data)
        return Response(self._fresh(review, OwnReviewSerializer))

    def perform_destroy(self, instance: Review) -> None:
        services.delete_review(review=instance)

    @extend_schema(
        summary="Hide a review (platform admins)",
        description=(
            "The review leaves the doctor's list and average; the reason, the moderator and "
            "the time are kept."
        ),
        tags=TAGS,
        request=HideSerializer,
        responses={
            200: ModeratedReviewSerializer,
            409: error_response("ReviewHideConflict", "Already hidden.", "review_already_hidden"),
        },
    )
    @action(detail=True, methods=["post"])
    def hide(self, request: Request, pk=None) -> Response:
        review = self.get_object()
        data = HideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.hide_review(
            review=review, moderator=request.user, reason=data.validated_data["reason"]
        )
        return Response(self._fresh(review, ModeratedReviewSerializer))

    @extend_schema(
        summary="Show a hidden review again (platform admins)",
        tags=TAGS,
        request=UnhideSerializer,
        responses={
            200: OpenApiResponse(ModeratedReviewSerializer, description="Visible again"),
            409: error_response("ReviewUnhideConflict", "Not hidden.", "review_not_hidden"),
        },
    )
    @action(detail=True, methods=["post"])
    def unhide(self, request: Request, pk=None) -> Response:
        review = self.get_object()
        data = UnhideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.unhide_review(
            review=review, moderator=request.user, reason=data.validated_data["reason"]
        )
        return Response(self._fresh(review, ModeratedReviewSerializer))

    def _fresh(self, review: Review, serializer) -> dict:
        return serializer(reviews_visible_to(self.request.user).get(pk=review.pk)).data
