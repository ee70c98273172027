from datetime import timedelta

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinics.models import Clinic
from common.date_windows import PLATFORM_EPOCH, REPORT_DAYS, WindowedDateField
from common.fields import StrictCharField, StrictDecimalField, StrictIntegerField
from common.timezones import zone_or_error

MAX_RANGE_DAYS = 366


class ReportQuerySerializer(serializers.Serializer):
    date_from = WindowedDateField(
        window=REPORT_DAYS, required=False, help_text="First day (default: 30 days before date_to)"
    )
    date_to = WindowedDateField(
        window=REPORT_DAYS, required=False, help_text="Last day, inclusive (default: today)"
    )
    tz = StrictCharField(
        required=False, default="UTC", help_text="IANA zone for the days and the periods"
    )
    period = serializers.ChoiceField(choices=["day", "week", "month"], default="day")
    clinic = serializers.PrimaryKeyRelatedField(
        queryset=Clinic.objects.all(),
        required=False,
        help_text="Platform admins: one clinic. Clinic admins: one of theirs (default: all).",
    )

    def validate_tz(self, value: str):
        try:
            return zone_or_error(value)
        except Exception as exc:  # Django's ValidationError: re-raise as a field error
            raise serializers.ValidationError(
                f"{value} is not an IANA time zone (e.g. Europe/Berlin).", code="invalid_timezone"
            ) from exc

    def validate(self, attrs):
        today = timezone.localdate()
        attrs.setdefault("date_to", today)
        attrs.setdefault("date_from", max(attrs["date_to"] - timedelta(days=30), PLATFORM_EPOCH))
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError(
                {"date_to": "date_to is before date_from."}, code="invalid_range"
            )
        if (attrs["date_to"] - attrs["date_from"]).days > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"date_to": f"A report covers at most {MAX_RANGE_DAYS} days."},
                code="range_too_long",
            )
        return attrs


class DoctorsQuerySerializer(ReportQuerySerializer):
    order = serializers.ChoiceField(
        choices=["completed", "no_show_rate", "rating"], default="completed"
    )
    limit = StrictIntegerField(min_value=1, max_value=100, default=10)


@extend_schema_field(OpenApiTypes.DATE)
class PeriodField(serializers.Field):
    """A period bucket as the date it starts on, in the report's zone."""

    def to_representation(self, value) -> str:
        return value.date().isoformat()


class BookingsRowSerializer(serializers.Serializer):
    period = PeriodField()
    total = StrictIntegerField()
    booked = StrictIntegerField()
    completed = StrictIntegerField()
    no_show = StrictIntegerField()
    cancelled = StrictIntegerField()


class RevenueRowSerializer(serializers.Serializer):
    period = PeriodField()
    paid_appointments = StrictIntegerField()
    consultation_fees = StrictDecimalField(max_digits=14, decimal_places=2)
    transaction_fees = StrictDecimalField(max_digits=14, decimal_places=2)
    paid_total = StrictDecimalField(max_digits=14, decimal_places=2)
    waived_total = StrictDecimalField(max_digits=14, decimal_places=2)
    refunded_total = StrictDecimalField(max_digits=14, decimal_places=2)


class UserActivityRowSerializer(serializers.Serializer):
    period = PeriodField()
    registrations = StrictIntegerField()
    registrations_patient = StrictIntegerField()
    registrations_doctor = StrictIntegerField()
    registrations_clinic_admin = StrictIntegerField()
    registrations_platform_admin = StrictIntegerField()
    logins = StrictIntegerField()
    active_users = StrictIntegerField()


class DoctorRowSerializer(serializers.Serializer):
    doctor = serializers.UUIDField()
    name = StrictCharField()
    specialty = StrictCharField()
    appointments_total = StrictIntegerField()
    completed = StrictIntegerField()
    no_shows = StrictIntegerField()
    no_show_rate = serializers.FloatField(allow_null=True)
    average_rating = StrictDecimalField(max_digits=3, decimal_places=2, allow_null=True)
    review_count = StrictIntegerField()


class ReportMetaSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    tz = StrictCharField()
    period = StrictCharField()
    clinic = serializers.UUIDField(allow_null=True)


class BookingsReportSerializer(ReportMetaSerializer):
    results = BookingsRowSerializer(many=True)


class RevenueReportSerializer(ReportMetaSerializer):
    results = RevenueRowSerializer(many=True)


class UserActivityReportSerializer(ReportMetaSerializer):
    results = UserActivityRowSerializer(many=True)
    appointments_per_patient = serializers.DictField(
        child=StrictIntegerField(), help_text='Patients with "1", "2-5", "6+" appointments'
    )


class DoctorsReportSerializer(ReportMetaSerializer):
    results = DoctorRowSerializer(many=True)


class DoctorTotalsSerializer(serializers.Serializer):
    total = StrictIntegerField()
    booked = StrictIntegerField()
    completed = StrictIntegerField()
    no_show = StrictIntegerField()
    cancelled = StrictIntegerField()
    no_show_rate = serializers.FloatField(allow_null=True)
    consultation_fees = StrictDecimalField(max_digits=14, decimal_places=2)
    waived_total = StrictDecimalField(max_digits=14, decimal_places=2)
    average_rating = StrictDecimalField(max_digits=3, decimal_places=2, allow_null=True)
    review_count = StrictIntegerField()


class MyReportSerializer(ReportMetaSerializer):
    results = BookingsRowSerializer(many=True)
    totals = DoctorTotalsSerializer()
