"""Report endpoints: JSON by default, CSV with `?format=csv`."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from accounts.permissions import IsPlatformAdmin, any_role, is_platform_admin
from clinics.permissions import clinics_administered_by
from common.db_routing import ReplicaReadsMixin
from doctors.selectors import own_doctor_profile

from . import selectors
from . import serializers as s
from .renderers import CSVRenderer
from .selectors import ReportScope

TAGS = ["reports"]
RunsClinics = any_role(Role.CLINIC_ADMIN, Role.PLATFORM_ADMIN)


def _responses(serializer) -> dict:
    return {
        (200, "application/json"): serializer,
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The rows as CSV"),
    }


class ReportView(ReplicaReadsMixin, APIView):
    """Parses the common query (range, zone, period, clinic) into a caller-scoped ReportScope.
    Reads the replica when one is configured (JSON and CSV alike; docs/scaling.md)."""

    renderer_classes = [JSONRenderer, CSVRenderer]
    permission_classes = [IsAuthenticated, RunsClinics]
    query_serializer = s.ReportQuerySerializer
    csv_columns: list[str] = []

    def finalize_response(self, request, response, *args, **kwargs):
        if response.status_code >= 400:  # errors keep the JSON error shape, even for ?format=csv
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def query(self, request: Request) -> tuple[ReportScope, dict]:
        params = self.query_serializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        scope = ReportScope(
            date_from=data["date_from"],
            date_to=data["date_to"],
            zone=data["tz"],
            period=data["period"],
            clinics=self.clinics_in_scope(request, data.get("clinic")),
        )
        meta = {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "tz": str(data["tz"]),
            "period": data["period"],
            "clinic": data["clinic"].pk if data.get("clinic") else None,
        }
        return scope, {**data, "meta": meta}

    def clinics_in_scope(self, request: Request, clinic):
        """Platform admins: everything, or the clinic asked for. Clinic admins: theirs only."""
        if is_platform_admin(request.user):
            return None if clinic is None else clinic.__class__.objects.filter(pk=clinic.pk)
        mine = clinics_administered_by(request.user)
        if clinic is None:
            return mine
        if not mine.filter(pk=clinic.pk).exists():
            raise NotFound("No such clinic among yours.")
        return mine.filter(pk=clinic.pk)


class BookingsReportView(ReportView):
    csv_columns = list(s.BookingsRowSerializer().fields)

    @extend_schema(
        summary="Bookings by status per period",
        description=(
            "Appointments by their start time, counted per status, bucketed per day, week or "
            "month in `tz`. Clinic admins see their clinics only."
        ),
        tags=TAGS,
        parameters=[s.ReportQuerySerializer],
        responses=_responses(s.BookingsReportSerializer),
    )
    def get(self, request: Request) -> Response:
        scope, query = self.query(request)
        rows = s.BookingsRowSerializer(selectors.bookings_report(scope), many=True).data
        return Response({**query["meta"], "results": rows})


class RevenueReportView(ReportView):
    csv_columns = list(s.RevenueRowSerializer().fields)

    @extend_schema(
        summary="Revenue per period",
        description=(
            "Consultation and transaction fees of paid appointments, value waived for points and "
            "value refunded, by appointment start, per period in `tz`."
        ),
        tags=TAGS,
        parameters=[s.ReportQuerySerializer],
        responses=_responses(s.RevenueReportSerializer),
    )
    def get(self, request: Request) -> Response:
        scope, query = self.query(request)
        rows = s.RevenueRowSerializer(selectors.revenue_report(scope), many=True).data
        return Response({**query["meta"], "results": rows})


class UserActivityReportView(ReportView):
    permission_classes = [IsAuthenticated, IsPlatformAdmin]
    csv_columns = list(s.UserActivityRowSerializer().fields)

    @extend_schema(
        summary="User activity per period (platform admins)",
        description=(
            "Registrations by role, logins and distinct users who logged in, per period; and how "
            "many patients had 1, 2-5 or 6+ (non-cancelled) appointments in the range."
        ),
        tags=TAGS,
        parameters=[s.ReportQuerySerializer],
        responses=_responses(s.UserActivityReportSerializer),
    )
    def get(self, request: Request) -> Response:
        scope, query = self.query(request)
        report = selectors.user_activity_report(scope)
        rows = s.UserActivityRowSerializer(report["results"], many=True).data
        return Response(
            {
                **query["meta"],
                "results": rows,
                "appointments_per_patient": report["appointments_per_patient"],
            }
        )


class DoctorsReportView(ReportView):
    query_serializer = s.DoctorsQuerySerializer
    csv_columns = list(s.DoctorRowSerializer().fields)

    @extend_schema(
        summary="Top doctors",
        description=(
            "Doctors with appointments in the range, ordered by completed appointments, no-show "
            "rate or rating. Clinic admins: appointments at their clinics only."
        ),
        tags=TAGS,
        parameters=[s.DoctorsQuerySerializer],
        responses=_responses(s.DoctorsReportSerializer),
    )
    def get(self, request: Request) -> Response:
        scope, query = self.query(request)
        doctors = selectors.doctors_report(scope, order=query["order"], limit=query["limit"])
        return Response(
            {**query["meta"], "results": s.DoctorRowSerializer(doctors, many=True).data}
        )


class MyReportView(ReportView):
    permission_classes = [IsAuthenticated, any_role(Role.DOCTOR)]
    csv_columns = list(s.BookingsRowSerializer().fields)

    @extend_schema(
        summary="My figures (doctors)",
        description="Your bookings per period and status, revenue, no-show rate and rating.",
        tags=TAGS,
        parameters=[s.ReportQuerySerializer],
        responses=_responses(s.MyReportSerializer),
    )
    def get(self, request: Request) -> Response:
        doctor = own_doctor_profile(request.user)
        scope, query = self.query(request)
        report = selectors.doctor_own_report(doctor, scope)
        return Response(
            {
                **query["meta"],
                "results": s.BookingsRowSerializer(report["results"], many=True).data,
                "totals": s.DoctorTotalsSerializer(report["totals"]).data,
            }
        )

    def clinics_in_scope(self, request: Request, clinic):
        return None if clinic is None else clinic.__class__.objects.filter(pk=clinic.pk)
