from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import ReadOnlyOrPlatformAdmin
from common.schema import error_response

from . import services
from .selectors import all_specialties
from .serializers import (
    SpecialtyInputSerializer,
    SpecialtySerializer,
)

TAGS = ["doctors"]


@extend_schema_view(
    list=extend_schema(
        summary="List specialties", description="Open to anyone (registration needs it).", tags=TAGS
    ),
    retrieve=extend_schema(summary="Get a specialty", tags=TAGS),
    create=extend_schema(
        summary="Create a specialty (platform admins)",
        tags=TAGS,
        request=SpecialtyInputSerializer,
        responses={201: SpecialtySerializer},
    ),
    partial_update=extend_schema(
        summary="Rename a specialty (platform admins)",
        tags=TAGS,
        request=SpecialtyInputSerializer(partial=True),
        responses={200: SpecialtySerializer},
    ),
    destroy=extend_schema(
        summary="Delete an unused specialty (platform admins)",
        tags=TAGS,
        responses={
            204: None,
            409: error_response("SpecialtyInUse", "Doctors use it.", "specialty_in_use"),
        },
    ),
)
class SpecialtyViewSet(viewsets.ModelViewSet):
    serializer_class = SpecialtySerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering_fields = ["name"]
    ordering = ["name"]
    filterset_fields = []

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [AllowAny()]
        return [IsAuthenticated(), ReadOnlyOrPlatformAdmin()]

    def get_queryset(self):
        return all_specialties()

    def create(self, request: Request) -> Response:
        data = SpecialtyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        specialty = services.create_specialty(**data.validated_data)
        return Response(SpecialtySerializer(specialty).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk=None) -> Response:
        specialty = self.get_object()
        data = SpecialtyInputSerializer(specialty, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        specialty = services.update_specialty(specialty=specialty, **data.validated_data)
        return Response(SpecialtySerializer(specialty).data)

    def destroy(self, request: Request, pk=None) -> Response:
        services.delete_specialty(specialty=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
