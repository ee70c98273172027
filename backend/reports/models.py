"""Report rollups: appointment figures pre-aggregated by PostgreSQL triggers (see
`reports.rollups`), so a report reads a few thousand rows instead of every appointment."""

from django.db import models


class AppointmentRollup(models.Model):
    """Appointments starting in one 15-minute bucket, per clinic (NULL: the whole platform),
    status and payment status, with their fees summed. A bucket converts exactly to any
    zone's local day: every UTC offset since 2000 is a multiple of 15 minutes (the reports
    check each window's day boundaries and read the appointments themselves otherwise)."""

    clinic = models.ForeignKey(
        "clinics.Clinic",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    bucket = models.DateTimeField()
    status = models.CharField(max_length=16)
    payment_status = models.CharField(max_length=16)
    appointments = models.IntegerField()
    consultation_fees = models.DecimalField(max_digits=14, decimal_places=2)
    transaction_fees = models.DecimalField(max_digits=14, decimal_places=2)
    total_amounts = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "bucket", "status", "payment_status"],
                nulls_distinct=False,
                name="appointment_rollup_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["bucket"],
                condition=models.Q(clinic__isnull=True),
                name="appointment_rollup_platform",
            )
        ]

    def __str__(self) -> str:
        return f"{self.bucket:%Y-%m-%d %H:%M} {self.status}/{self.payment_status}"


class DoctorOutcomes(models.Model):
    """A doctor's appointments at one clinic over a period: total, completed and no-shows."""

    doctor = models.ForeignKey(
        "doctors.Doctor", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    clinic = models.ForeignKey(
        "clinics.Clinic", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    appointments = models.IntegerField()
    completed = models.IntegerField()
    no_shows = models.IntegerField()

    class Meta:
        abstract = True


class DoctorDayRollup(DoctorOutcomes):
    """A doctor's appointments at one clinic starting on one UTC day: total, completed and
    no-shows (the top-doctors report reads whole UTC months from DoctorMonthRollup, the other
    whole UTC days from here, and the partial days at a window's ends live)."""

    day = models.DateField()

    class Meta(DoctorOutcomes.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "clinic", "day"], name="doctor_day_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["day"], name="doctor_day_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.doctor_id}"


class DoctorMonthRollup(DoctorOutcomes):
    """DoctorDayRollup summed per UTC month (`month`: its first day)."""

    month = models.DateField()

    class Meta(DoctorOutcomes.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["doctor", "clinic", "month"], name="doctor_month_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["month"], name="doctor_month_rollup_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.doctor_id}"
