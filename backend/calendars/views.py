from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.openapi import CareSlotAutoSchema
from common.schema import error_response
from common.serializers import UUID_PATTERN

from . import services
from .ics import feed_calendar
from .selectors import appointments_in_feed, feed_for_token, feeds_of
from .serializers import (
    CalendarFeedCreateSerializer,
    CalendarFeedSecretSerializer,
    CalendarFeedSerializer,
)

TAGS = ["calendar feeds"]
SECRET_EXAMPLE = OpenApiExample(
    "A new feed URL",
    value={
        "id": "0b7e7c44-53c7-4d39-9f35-6b2f0c5e1a77",
        "role": "patient",
        "created_at": "2026-11-30T10:00:00Z",
        "rotated_at": "2026-11-30T10:00:00Z",
        "url": "https://api.example.com/api/v1/calendar/Zk3p...q9Q.ics",
    },
    response_only=True,
)


def _with_url(request: Request, feed, token: str) -> dict:
    feed.url = request.build_absolute_uri(reverse("calendar-feed-ics", args=[token]))
    return CalendarFeedSecretSerializer(feed).data


@extend_schema_view(
    list=extend_schema(
        summary="List my calendar feeds",
        description="At most one per role (patient, doctor); the URLs are not shown again.",
        tags=TAGS,
    ),
    destroy=extend_schema(
        summary="Revoke a calendar feed",
        description="Its URL answers 404 from now on.",
        tags=TAGS,
        responses={204: None},
    ),
)
class CalendarFeedViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The caller's own private calendar feeds (others' are 404)."""

    serializer_class = CalendarFeedSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None  # at most one feed per role
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self):
        return feeds_of(self.request.user)

    @extend_schema(
        summary="Create my private calendar feed",
        description=(
            "A private iCalendar (RFC 5545) URL with your appointments as `role` (which you "
            "must hold), for calendar apps to subscribe to without logging in. The URL is "
            "shown in this answer only; anyone who has it sees your appointment times and "
            "places (no medical data). Rotate it if it leaked, revoke it when done."
        ),
        tags=TAGS,
        request=CalendarFeedCreateSerializer,
        examples=[
            OpenApiExample("As a patient", value={"role": "patient"}, request_only=True),
            SECRET_EXAMPLE,
        ],
        responses={
            201: CalendarFeedSecretSerializer,
            403: error_response(
                "FeedRoleRequired",
                "You do not hold this role (an integration client's token: `insufficient_scope`).",
                "role_required",
                "insufficient_scope",
            ),
            409: error_response(
                "FeedExists", "A feed for this role exists: rotate it.", "feed_exists"
            ),
        },
    )
    def create(self, request: Request) -> Response:
        data = CalendarFeedCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feed, token = services.create_feed(user=request.user, role=data.validated_data["role"])
        return Response(_with_url(request, feed, token), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Rotate a calendar feed's URL",
        description="A new URL, shown once; the old one answers 404 at once.",
        tags=TAGS,
        request=None,
        examples=[SECRET_EXAMPLE],
        responses={200: CalendarFeedSecretSerializer},
    )
    @action(detail=True, methods=["post"])
    def rotate(self, request: Request, pk=None) -> Response:
        feed, token = services.rotate_feed(feed=self.get_object())
        return Response(_with_url(request, feed, token))

    def perform_destroy(self, instance) -> None:
        services.revoke_feed(feed=instance)


class ICalendarRenderer(BaseRenderer):
    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class CalendarOnly(BaseContentNegotiation):
    """Calendar apps send all sorts of Accept headers: the feed is iCalendar whatever they ask."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CalendarFeedSchema(CareSlotAutoSchema):
    """The feed's errors are JSON like every other (the 200 is declared as text/calendar)."""

    def map_renderers(self, attribute):
        return [JSONRenderer.media_type]


class CalendarFeedView(APIView):
    """The public side of a feed: the token in the URL is the only credential."""

    schema = CalendarFeedSchema()

    authentication_classes = []  # calendar apps send no JWT; a stray header must not 401
    permission_classes = [AllowAny]
    renderer_classes = [ICalendarRenderer]
    content_negotiation_class = CalendarOnly

    @extend_schema(
        operation_id="calendar_feed_ics",
        summary="A private calendar feed (iCalendar, no login)",
        description=(
            "RFC 5545 text for calendar apps: the owner's appointments from 90 days ago on. "
            "Each event's UID stays the same across changes, SEQUENCE grows with each move or "
            "cancellation, times are UTC, a cancelled appointment has STATUS:CANCELLED. A "
            "doctor's feed names patients by first name and last initial; no feed carries "
            "medical data. An unknown, rotated or revoked token, or an owner who is deactivated "
            "or no longer holds the role, is a 404."
        ),
        tags=TAGS,
        auth=[],
        responses={
            (200, "text/calendar"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The calendar",
                examples=[
                    OpenApiExample(
                        "A feed",
                        value=(
                            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
                            "PRODID:-//CareSlot//Calendar feed//EN\r\nMETHOD:PUBLISH\r\n"
                            "BEGIN:VEVENT\r\nSUMMARY:Appointment with Dr. Dora Doctor\r\n"
                            "DTSTART:20261202T090000Z\r\nDTEND:20261202T093000Z\r\n"
                            "UID:5e0c...@careslot\r\nSEQUENCE:1\r\nSTATUS:CONFIRMED\r\n"
                            "END:VEVENT\r\nEND:VCALENDAR\r\n"
                        ),
                    )
                ],
            ),
            (404, "application/json"): error_response(
                "CalendarFeedNotFound", "No live feed has this token.", "not_found"
            ),
        },
    )
    def get(self, request: Request, token: str) -> Response:
        feed = feed_for_token(token)
        if feed is None:
            raise NotFound("No calendar feed has this address.")
        body = feed_calendar(feed, appointments_in_feed(feed))
        return Response(body, content_type="text/calendar; charset=utf-8")

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors keep the one JSON shape (docs/api-guide.md), whatever the feed's renderer.
        if response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
