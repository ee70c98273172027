from functools import reduce
from operator import and_

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q

from common.append_only import AppendOnlyModel

# ICD-10: a letter, two digits (the third may be A or B, as in C4A or D3A), then optionally a
# dot and up to four characters. U is allowed: WHO's U07.1 (COVID-19) is in everyday use.
ICD10_PATTERN = r"^[A-Z][0-9][0-9AB](\.[0-9A-Z]{1,4})?$"
icd10_validator = RegexValidator(
    ICD10_PATTERN,
    message="Enter an ICD-10 code such as J45, J45.909 or S52.521A.",
    code="invalid_icd10",
)


class EntryType(models.TextChoices):
    DIAGNOSIS = "diagnosis", "Diagnosis"
    TREATMENT = "treatment", "Treatment"
    PRESCRIPTION = "prescription", "Prescription"
    NOTE = "note", "Note"


PRESCRIPTION_FIELDS = ("medication", "dosage", "frequency", "duration", "instructions")


class PatientHistoryEntry(AppendOnlyModel):
    """One entry of a patient's medical history, written by a treating doctor. Entries are
    never changed: a correction is a new entry that `amends` the earlier one."""

    # db_index off: the (patient, created_at) index below serves lookups by patient.
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="history_entries",
        db_index=False,
    )
    author = models.ForeignKey(
        "doctors.Doctor", on_delete=models.PROTECT, related_name="authored_history_entries"
    )
    appointment = models.ForeignKey(
        "appointments.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="history_entries",
    )
    entry_type = models.CharField(max_length=16, choices=EntryType.choices)
    title = models.CharField(max_length=200)
    details = models.TextField(blank=True)
    icd10_code = models.CharField(max_length=8, blank=True, validators=[icd10_validator])
    medication = models.CharField(max_length=200, blank=True)
    dosage = models.CharField(max_length=100, blank=True)
    frequency = models.CharField(max_length=100, blank=True)
    duration = models.CharField(max_length=100, blank=True)
    instructions = models.TextField(blank=True)
    amends = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments",
        help_text="The earlier entry of the same patient this one corrects",
    )

    class Meta:
        db_table = "patient_history_entries"
        ordering = ["-created_at", "id"]
        verbose_name_plural = "patient history entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(entry_type__in=EntryType.values), name="history_entry_type_valid"
            ),
            models.CheckConstraint(
                condition=(
                    Q(entry_type=EntryType.PRESCRIPTION)
                    & reduce(and_, (~Q(**{name: ""}) for name in PRESCRIPTION_FIELDS))
                )
                | (
                    ~Q(entry_type=EntryType.PRESCRIPTION)
                    & Q(**{name: "" for name in PRESCRIPTION_FIELDS})
                ),
                name="history_prescription_fields_iff_prescription",
            ),
            models.CheckConstraint(
                condition=Q(icd10_code="") | Q(icd10_code__regex=ICD10_PATTERN),
                name="history_icd10_code_format",
            ),
            models.CheckConstraint(
                condition=~Q(amends=F("id")), name="history_entry_not_amending_itself"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "created_at"], name="history_patient_created_idx"),
        ]

    def __str__(self) -> str:
        # No medical content: this string shows up in the admin and in logs.
        return f"History entry {self.pk}"


class AccessAction(models.TextChoices):
    LIST = "list", "Listed the history"
    READ = "read", "Read an entry"
    CREATE = "create", "Added an entry"
    AMEND = "amend", "Amended an entry"
    READ_ACCESS_LOG = "read_access_log", "Read the access log"
    BREAK_GLASS = "break_glass", "Opened emergency access"
    # Someone acting for the patient (a guardian, a proxy; docs/families.md).
    BOOK = "book", "Booked an appointment for the patient"
    CANCEL = "cancel", "Cancelled the patient's appointment"
    RESCHEDULE = "reschedule", "Moved the patient's appointment"
    JOIN_WAITLIST = "join_waitlist", "Put the patient on a waitlist"


class BreakGlassAccess(AppendOnlyModel):
    """A doctor outside any care relationship with the patient opened emergency read access to
    their history, saying why. It ends by itself at `expires_at`; the opening and every read
    under it are in the patient's access log."""

    doctor = models.ForeignKey(
        "doctors.Doctor", on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    reason = models.CharField(max_length=1000)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="break_glass_reason_given"),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="break_glass_expires_after"
            ),
        ]
        indexes = [
            # "Does this doctor hold open access to this patient?" on every read.
            models.Index(
                fields=["doctor", "patient", "expires_at"], name="break_glass_doctor_patient_idx"
            ),
        ]

    def __str__(self) -> str:
        # No reason text: it may carry medical detail.
        return f"Emergency access {self.pk}"


class RecordAccessLog(AppendOnlyModel):
    """Who read or wrote which entries of a patient's history, when, and from where."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        "patients.Patient",
        on_delete=models.PROTECT,
        related_name="record_access_log",
        db_index=False,  # the (patient, created_at) index below serves it
    )
    action = models.CharField(max_length=16, choices=AccessAction.choices)
    entry_ids = models.JSONField(default=list, help_text="Ids of the entries read or written")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    break_glass = models.ForeignKey(
        BreakGlassAccess,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The emergency access this row opened or was made under",
    )

    class Meta:
        db_table = "record_access_log"
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=AccessAction.values), name="record_access_action_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "created_at"], name="record_access_patient_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.user_id} {self.action} {self.patient_id} at {self.created_at:%Y-%m-%d %H:%M}Z"
        )
