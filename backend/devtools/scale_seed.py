"""The platform-scale data set for `make bench`, loaded with PostgreSQL COPY.

Everything is generated in Python and streamed into the tables with `COPY ... FROM STDIN`, one
table at a time, in one transaction. Rows are only ever inserted (the append-only ledgers accept
nothing else), and the data is consistent by construction:

- a doctor's slots lie on a 30-minute grid, one slot per grid step, so they never overlap;
- an appointment takes a whole slot, and each chosen slot gets exactly one appointment;
- at grid step `t` the patient of doctor `d` is `(d + t * STRIDE) % patients`, so no patient
  holds two appointments at the same time (the patient-overlap exclusion constraint);
- a slot is `booked` exactly when its appointment is booked, completed or a no-show;
- every points account's balance is the sum of that patient's ledger, and each doctor's
  `average_rating`/`review_count` is computed from the visible reviews at the end;
- doctors can read (guardian `patients.view_patient`) exactly the patients with a
  non-cancelled appointment with them.
"""

from __future__ import annotations

import json
import math
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import connection, models, transaction
from django.utils import timezone

from accounts.models import LoginEvent, Role, User, UserRole
from appointments.fees import fees_for
from appointments.models import Appointment, PaymentEvent
from clinics.models import Clinic, ClinicUserObjectPermission, DoctorClinicAssociation
from doctors.models import Doctor, DoctorLanguage, Specialty
from loyalty.models import PointsAccount, PointsTransaction
from patients.models import Patient, PatientUserObjectPermission
from records.models import PatientHistoryEntry
from reviews.models import Review
from scheduling.models import Slot

BENCH_PASSWORD = "CareSlot-bench-2026"
EMAIL_DOMAIN = "bench.careslot.test"
SLOT_MINUTES = 30
SLOTS_PER_DAY = 16  # 08:00-16:00 UTC
DAY_START_HOUR = 8
STRIDE = 7919  # a prime: spreads one doctor's patients over the whole patient list

SPECIALTIES = [
    "General practice",
    "Cardiology",
    "Dermatology",
    "Pediatrics",
    "Neurology",
    "Orthopedics",
    "Ophthalmology",
    "Gynecology",
    "Psychiatry",
    "Urology",
    "Oncology",
    "Endocrinology",
    "Gastroenterology",
    "Pulmonology",
    "Rheumatology",
    "Nephrology",
    "Otolaryngology",
    "Allergology",
    "Radiology",
    "Physiotherapy",
]
CITIES = [
    ("Berlin", "DE", "Europe/Berlin"),
    ("Hamburg", "DE", "Europe/Berlin"),
    ("Munich", "DE", "Europe/Berlin"),
    ("Vienna", "AT", "Europe/Vienna"),
    ("Zurich", "CH", "Europe/Zurich"),
    ("Paris", "FR", "Europe/Paris"),
    ("Madrid", "ES", "Europe/Madrid"),
    ("Lisbon", "PT", "Europe/Lisbon"),
    ("London", "GB", "Europe/London"),
    ("New York", "US", "America/New_York"),
]
FIRST_NAMES = ["Ana", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hugo", "Ida", "Jonas"]
LAST_NAMES = [
    "Schmidt",
    "Muller",
    "Weber",
    "Fischer",
    "Meyer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
]
LANGUAGES = ["en", "de", "fr", "es", "pt", "it", "tr", "pl"]
FEES = [Decimal(f"{fee}.00") for fee in range(40, 160, 10)]


@dataclass(frozen=True)
class Sizes:
    doctors: int = 1_000
    clinics: int = 100
    patients: int = 50_000
    slots: int = 1_000_000
    appointments: int = 300_000

    @classmethod
    def at_scale(cls, scale: float, **overrides: int | None) -> Sizes:
        full = cls()
        sizes = {
            name: max(minimum, round(getattr(full, name) * scale))
            for name, minimum in [
                ("doctors", 2),
                ("clinics", 1),
                ("patients", 2),
                ("slots", 4),
                ("appointments", 1),
            ]
        }
        sizes.update({name: value for name, value in overrides.items() if value is not None})
        result = cls(**sizes)
        result.check()
        return result

    def check(self) -> None:
        if self.patients < self.doctors:
            # One patient per doctor per grid step keeps patients free of overlaps.
            raise ValueError("patients must be at least doctors")
        if self.appointments > self.slots:
            raise ValueError("appointments cannot exceed slots")


def uuid4() -> uuid.UUID:
    return uuid.uuid4()


class Loader:
    """COPYs rows into the tables of Django models on Django's own connection."""

    def __init__(self, log: Callable[[str], None]):
        self.log = log
        self.counts: dict[str, int] = {}

    def copy(self, model: type[models.Model], fields: list[str], rows: Iterable[tuple]) -> int:
        meta = model._meta
        columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
        table = connection.ops.quote_name(meta.db_table)
        started = time.monotonic()
        count = 0
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        self.counts[meta.db_table] = self.counts.get(meta.db_table, 0) + count
        self.log(f"  {meta.db_table}: {count:,} rows in {time.monotonic() - started:.1f}s")
        return count


def app_tables() -> list[str]:
    """Every table a seed fills (all but migrations, content types and permissions)."""
    keep = {"django_migrations", "django_content_type", "auth_permission"}
    return [
        t for t in connection.introspection.django_table_names(only_existing=True) if t not in keep
    ]


def database_is_empty() -> bool:
    return not User.objects.exists()


def reset_database(log: Callable[[str], None]) -> None:
    tables = ", ".join(connection.ops.quote_name(t) for t in app_tables())
    with connection.cursor() as cursor:
        # Deferred foreign-key checks still pending in this transaction would block TRUNCATE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    log("Emptied every application table (TRUNCATE).")


class ScaleSeeder:
    """Builds the data set; `run()` returns the row counts per table."""

    def __init__(self, sizes: Sizes, *, seed: int = 42, log: Callable[[str], None] = print):
        self.sizes = sizes
        self.rng = random.Random(seed)  # noqa: S311 (made-up data, no secret)
        self.log = log
        self.loader = Loader(log)
        self.now = timezone.now()
        self.password = make_password(BENCH_PASSWORD)
        self.slots_per_doctor = math.ceil(sizes.slots / sizes.doctors)
        self.days = math.ceil(self.slots_per_doctor / SLOTS_PER_DAY)
        # Half the grid in the past (completed, no-show and cancelled appointments for the
        # reports), half in the future (bookable slots, upcoming appointments).
        today = self.now.date()
        self.first_day = today - timedelta(days=self.days // 2)
        self.grid_origin = datetime.combine(self.first_day, datetime.min.time(), tzinfo=UTC)

    # -- helpers ---------------------------------------------------------------------------

    def _joined(self, max_days: int) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(1, max_days))

    def _grid_start(self, step: int) -> datetime:
        day, index = divmod(step, SLOTS_PER_DAY)
        return self.grid_origin + timedelta(
            days=day, hours=DAY_START_HOUR, minutes=SLOT_MINUTES * index
        )

    def _user_rows(self, users: list[dict]) -> Iterable[tuple]:
        for user in users:
            yield (
                user["id"],
                self.password,
                user.get("last_login"),
                False,
                user["email"],
                user["first_name"],
                user["last_name"],
                "",
                True,
                False,
                user["joined"],
                user["joined"],
                0,
            )

    USER_FIELDS = [
        "id",
        "password",
        "last_login",
        "is_superuser",
        "email",
        "first_name",
        "last_name",
        "phone",
        "is_active",
        "is_staff",
        "email_confirmed_at",
        "date_joined",
        "token_version",
    ]

    def _person(self, index: int, email: str, max_days: int) -> dict:
        joined = self._joined(max_days)
        return {
            "id": uuid4(),
            "email": email,
            "first_name": FIRST_NAMES[index % len(FIRST_NAMES)],
            "last_name": f"{LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]}",
            "joined": joined,
        }

    # -- the data set ----------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        started = time.monotonic()
        with transaction.atomic():
            self._directory()
            self._patients()
            self._slots_and_appointments()
            self._derived()
        self.log(f"Loaded in {time.monotonic() - started:.1f}s.")
        return self.loader.counts

    def _directory(self) -> None:
        s, rng, now = self.sizes, self.rng, self.now
        self.log("Directory: specialties, clinics, doctors, admins")
        specialties = [(uuid4(), name, name.lower().replace(" ", "-")) for name in SPECIALTIES]
        self.loader.copy(Specialty, ["id", "name", "slug"], specialties)
        self.specialty_slugs = [slug for _, _, slug in specialties]

        self.clinics = []
        for i in range(s.clinics):
            city, country, zone = CITIES[i % len(CITIES)]
            self.clinics.append(
                (
                    uuid4(),
                    now,
                    now,
                    f"{city} Clinic {i + 1}",
                    f"{city.lower().replace(' ', '-')}-clinic-{i + 1}",
                    f"Street {i + 1}",
                    city,
                    country,
                    "",
                    "",
                    zone,
                    True,
                    False,
                )
            )
        self.loader.copy(
            Clinic,
            [
                "id",
                "created_at",
                "updated_at",
                "name",
                "slug",
                "address",
                "city",
                "country",
                "phone",
                "email",
                "timezone",
                "is_active",
                "require_staff_mfa",
            ],
            self.clinics,
        )

        admin = self._person(0, f"admin@{EMAIL_DOMAIN}", 400)
        self.platform_admin_id = admin["id"]
        clinic_admins = [
            self._person(i, f"clinic-admin{i}@{EMAIL_DOMAIN}", 400) for i in range(s.clinics)
        ]
        self.doctor_users = [
            self._person(i, f"doctor{i}@{EMAIL_DOMAIN}", 400) for i in range(s.doctors)
        ]
        self.loader.copy(
            User,
            self.USER_FIELDS,
            self._user_rows([admin, *clinic_admins, *self.doctor_users]),
        )
        roles = [(uuid4(), admin["id"], Role.PLATFORM_ADMIN, now)]
        roles += [(uuid4(), u["id"], Role.CLINIC_ADMIN, now) for u in clinic_admins]
        roles += [(uuid4(), u["id"], Role.DOCTOR, now) for u in self.doctor_users]
        self.loader.copy(UserRole, ["id", "user", "role", "granted_at"], roles)
        change_clinic = Permission.objects.get(
            content_type__app_label="clinics", codename="change_clinic"
        )
        self.loader.copy(
            ClinicUserObjectPermission,
            ["user", "permission", "content_object"],
            (
                (u["id"], change_clinic.pk, clinic[0])
                for u, clinic in zip(clinic_admins, self.clinics, strict=True)
            ),
        )

        self.doctors = []  # (id, user_id, fee, clinic_id)
        doctor_rows, languages, associations = [], [], []
        for i, user in enumerate(self.doctor_users):
            doctor_id = uuid4()
            fee = FEES[i % len(FEES)]
            clinic_id = self.clinics[i % s.clinics][0]
            self.doctors.append((doctor_id, user["id"], fee, clinic_id))
            doctor_rows.append(
                (
                    doctor_id,
                    user["joined"],
                    user["joined"],
                    user["id"],
                    specialties[i % len(specialties)][0],
                    f"BENCH-{i:07d}",
                    "",
                    fee,
                    None,
                    0,
                    True,
                    user["joined"],
                    admin["id"],
                    None,
                    "",
                )
            )
            for language in {"en", LANGUAGES[i % len(LANGUAGES)]}:
                languages.append((uuid4(), doctor_id, language))
            associations.append(
                (
                    uuid4(),
                    user["joined"],
                    user["joined"],
                    doctor_id,
                    clinic_id,
                    "Consultant",
                    True,
                    (user["joined"] - timedelta(days=rng.randint(0, 900))).date(),
                    user["joined"],
                    None,
                    admin["id"],
                )
            )
        self.loader.copy(
            Doctor,
            [
                "id",
                "created_at",
                "updated_at",
                "user",
                "specialty",
                "license_number",
                "bio",
                "consultation_fee",
                "average_rating",
                "review_count",
                "is_confirmed",
                "confirmed_at",
                "confirmed_by",
                "rejected_at",
                "rejection_reason",
            ],
            doctor_rows,
        )
        self.loader.copy(DoctorLanguage, ["id", "doctor", "language"], languages)
        self.loader.copy(
            DoctorClinicAssociation,
            [
                "id",
                "created_at",
                "updated_at",
                "doctor",
                "clinic",
                "title",
                "is_active",
                "started_on",
                "accepted_at",
                "ended_on",
                "created_by",
            ],
            associations,
        )

    def _patients(self) -> None:
        s, rng = self.sizes, self.rng
        self.log("Patients: users, roles, profiles, logins")
        users = [self._person(i, f"patient{i}@{EMAIL_DOMAIN}", 365) for i in range(s.patients)]
        logins = []
        for user in users:
            # 0-3 logins in the last 60 days (after joining): the user-activity report.
            for _ in range(rng.randint(0, 3)):
                at = max(user["joined"], self.now - timedelta(days=rng.uniform(0, 60)))
                logins.append((uuid4(), at, user["id"]))
                user["last_login"] = max(user.get("last_login") or at, at)
        self.loader.copy(User, self.USER_FIELDS, self._user_rows(users))
        self.loader.copy(
            UserRole,
            ["id", "user", "role", "granted_at"],
            ((uuid4(), u["id"], Role.PATIENT, u["joined"]) for u in users),
        )
        self.patients = []  # (patient_id, user_id)
        rows = []
        for i, user in enumerate(users):
            patient_id = uuid4()
            self.patients.append((patient_id, user["id"]))
            rows.append(
                (
                    patient_id,
                    user["joined"],
                    user["joined"],
                    user["id"],
                    date(1950, 1, 1) + timedelta(days=(i * 37) % 20000),
                    ("female", "male", "other", "undisclosed")[i % 4],
                    "",
                    "",
                    "",
                )
            )
        self.loader.copy(
            Patient,
            [
                "id",
                "created_at",
                "updated_at",
                "user",
                "date_of_birth",
                "gender",
                "address",
                "emergency_contact_name",
                "emergency_contact_phone",
            ],
            rows,
        )
        self.loader.copy(LoginEvent, ["id", "created_at", "user"], logins)

    def _slots_and_appointments(self) -> None:
        s, rng, now = self.sizes, self.rng, self.now
        self.log(
            f"Slots and appointments: {self.slots_per_doctor} slots per doctor over "
            f"{self.days} days from {self.first_day}"
        )
        share = s.appointments / s.slots
        appointments: list[tuple] = []
        fees_by_fee = {fee: fees_for(fee) for fee in FEES}

        def slot_rows() -> Iterable[tuple]:
            index = 0  # global slot index: picks exactly `s.appointments` evenly
            for d, (doctor_id, _user_id, fee, clinic_id) in enumerate(self.doctors):
                slots_here = min(self.slots_per_doctor, s.slots - d * self.slots_per_doctor)
                for step in range(max(0, slots_here)):
                    start = self._grid_start(step)
                    end = start + timedelta(minutes=SLOT_MINUTES)
                    slot_id = uuid4()
                    chosen = math.floor((index + 1) * share) > math.floor(index * share)
                    index += 1
                    status = "available"
                    if chosen:
                        appointment = self._appointment(
                            d, step, slot_id, doctor_id, clinic_id, fees_by_fee[fee], start, end
                        )
                        appointments.append(appointment)
                        if appointment[APPOINTMENT_STATUS] != "cancelled":
                            status = "booked"
                    elif rng.random() < 0.02:
                        status = "blocked"
                    created = min(now, start) - timedelta(days=30)
                    yield (slot_id, created, created, doctor_id, clinic_id, start, end, status)

        self.loader.copy(
            Slot,
            ["id", "created_at", "updated_at", "doctor", "clinic", "start", "end", "status"],
            slot_rows(),
        )
        self.loader.copy(Appointment, APPOINTMENT_FIELDS, appointments)
        self.appointments = appointments

    def _appointment(self, d, step, slot_id, doctor_id, clinic_id, fees, start, end) -> tuple:
        rng, now = self.rng, self.now
        patient_id, patient_user_id = self.patients[(d + step * STRIDE) % len(self.patients)]
        r = rng.random()
        if start < now:
            status = "completed" if r < 0.8 else "no_show" if r < 0.88 else "cancelled"
            created = start - timedelta(days=rng.uniform(1, 30))
        else:
            status = "booked" if r < 0.9 else "cancelled"
            created = now - timedelta(days=rng.uniform(0.1, 30))
        cancelled_at = cancelled_by = None
        changed = None
        if status == "cancelled":
            cancelled_at = changed = created + (min(start, now) - created) * rng.random()
            cancelled_by = patient_user_id
        elif status in ("completed", "no_show"):
            changed = end
        payment = "pending"
        points_used = 0
        p = rng.random()
        if status == "completed":
            payment = "paid" if p < 0.85 else "waived" if p < 0.88 else "pending"
        elif status == "booked" and p < 0.02:
            payment = "waived"
        if payment == "waived":
            points_used = settings.POINTS_FOR_FREE_BOOKING
        return (
            uuid4(),
            created,
            changed or created,
            patient_id,
            doctor_id,
            clinic_id,
            slot_id,
            start,
            end,
            status,
            "",
            cancelled_by,
            cancelled_at,
            "Plans changed" if cancelled_at else "",
            "requested" if cancelled_at else "",
            changed,
            fees.consultation_fee,
            fees.transaction_fee,
            fees.total_amount,
            fees.currency,
            payment,
            points_used,
            None,
            "",
        )

    def _derived(self) -> None:
        """Ledgers, reviews, history and permissions that follow from the appointments."""
        rng, now = self.rng, self.now
        self.log("Derived: payment events, points, reviews, history, permissions")
        user_of_doctor = {doctor_id: user_id for doctor_id, user_id, _, _ in self.doctors}
        points: list[tuple] = []
        balances: dict = defaultdict(int)
        payment_events, reviews, history = [], [], []
        treating: set[tuple] = set()
        for a in self.appointments:
            appointment_id, created = a[0], a[1]
            patient_id, doctor_id = a[3], a[4]
            status, payment = a[APPOINTMENT_STATUS], a[APPOINTMENT_PAYMENT]
            if status != "cancelled":
                treating.add((user_of_doctor[doctor_id], patient_id))
            if payment == "waived":
                # Points enough for the free booking, granted just before it was redeemed.
                bonus_at = created - timedelta(minutes=1)
                points.append(
                    (uuid4(), bonus_at, patient_id, "adjusted", 100, None, "Bench welcome bonus")
                )
                points.append((uuid4(), created, patient_id, "redeemed", -100, appointment_id, ""))
                payment_events.append(
                    (
                        uuid4(),
                        created,
                        appointment_id,
                        "pending",
                        "waived",
                        a[APPOINTMENT_TOTAL],
                        a[APPOINTMENT_CURRENCY],
                        "points:100",
                        "points",
                        None,
                    )
                )
            if status == "completed":
                done = a[8]
                points.append(
                    (
                        uuid4(),
                        done,
                        patient_id,
                        "earned",
                        settings.POINTS_PER_COMPLETED_APPOINTMENT,
                        appointment_id,
                        "",
                    )
                )
                balances[patient_id] += settings.POINTS_PER_COMPLETED_APPOINTMENT
                if payment == "paid":
                    payment_events.append(
                        (
                            uuid4(),
                            done,
                            appointment_id,
                            "pending",
                            "paid",
                            a[APPOINTMENT_TOTAL],
                            a[APPOINTMENT_CURRENCY],
                            f"receipt-{appointment_id.hex[:12]}",
                            "staff",
                            self.platform_admin_id,
                        )
                    )
                if rng.random() < 0.4:
                    at = min(now, done + timedelta(hours=rng.uniform(1, 72)))
                    hidden = rng.random() < 0.01
                    reviews.append(
                        (
                            uuid4(),
                            at,
                            at,
                            appointment_id,
                            patient_id,
                            doctor_id,
                            rng.choice((5, 5, 5, 4, 4, 4, 3, 2, 1)),
                            "Bench review",
                            hidden,
                            "Spam" if hidden else "",
                            self.platform_admin_id if hidden else None,
                            at if hidden else None,
                        )
                    )
                if rng.random() < 0.3:
                    history.append(
                        (
                            uuid4(),
                            done,
                            patient_id,
                            doctor_id,
                            appointment_id,
                            *(("diagnosis", "J45") if rng.random() < 0.5 else ("note", "")),
                            "Consultation",
                            "Seen in consultation.",
                            "",
                            "",
                            "",
                            "",
                            "",
                        )
                    )
        self.loader.copy(
            PaymentEvent,
            [
                "id",
                "created_at",
                "appointment",
                "from_status",
                "to_status",
                "amount",
                "currency",
                "reference",
                "source",
                "actor",
            ],
            payment_events,
        )
        self.loader.copy(
            PointsTransaction,
            ["id", "created_at", "patient", "kind", "amount", "appointment", "reason"],
            points,
        )
        self.loader.copy(
            PointsAccount,
            ["id", "patient", "balance", "updated_at"],
            ((uuid4(), patient_id, balances[patient_id], now) for patient_id, _ in self.patients),
        )
        self.loader.copy(
            Review,
            [
                "id",
                "created_at",
                "updated_at",
                "appointment",
                "patient",
                "doctor",
                "rating",
                "comment",
                "is_hidden",
                "hidden_reason",
                "hidden_by",
                "hidden_at",
            ],
            reviews,
        )
        self.loader.copy(
            PatientHistoryEntry,
            [
                "id",
                "created_at",
                "patient",
                "author",
                "appointment",
                "entry_type",
                "icd10_code",
                "title",
                "details",
                "medication",
                "dosage",
                "frequency",
                "duration",
                "instructions",
            ],
            history,
        )
        view_patient = Permission.objects.get(
            content_type__app_label="patients", codename="view_patient"
        )
        self.loader.copy(
            PatientUserObjectPermission,
            ["user", "permission", "content_object"],
            ((user_id, view_patient.pk, patient_id) for user_id, patient_id in sorted(treating)),
        )
        # Doctors' stored rating: ROUND(numeric) is half away from zero, i.e. half-up here,
        # the same rounding as reviews.services.average_rating.
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE doctors_doctor AS d
                SET average_rating = r.average, review_count = r.count
                FROM (
                    SELECT doctor_id, COUNT(*) AS count,
                           ROUND(SUM(rating)::numeric / COUNT(*), 2) AS average
                    FROM reviews_review WHERE NOT is_hidden GROUP BY doctor_id
                ) AS r
                WHERE d.id = r.doctor_id
                """
            )


APPOINTMENT_FIELDS = [
    "id",
    "created_at",
    "updated_at",
    "patient",
    "doctor",
    "clinic",
    "slot",
    "start",
    "end",
    "status",
    "notes",
    "cancelled_by",
    "cancelled_at",
    "cancellation_reason",
    "cancellation_cause",
    "status_changed_at",
    "consultation_fee",
    "transaction_fee",
    "total_amount",
    "currency",
    "payment_status",
    "points_used",
    "idempotency_key",
    "idempotency_fingerprint",
]
APPOINTMENT_STATUS = APPOINTMENT_FIELDS.index("status")
APPOINTMENT_PAYMENT = APPOINTMENT_FIELDS.index("payment_status")
APPOINTMENT_TOTAL = APPOINTMENT_FIELDS.index("total_amount")
APPOINTMENT_CURRENCY = APPOINTMENT_FIELDS.index("currency")


def analyze(*, vacuum: bool) -> None:
    """Fresh planner statistics (and, outside a transaction, the visibility map that lets
    covering indexes answer with index-only scans)."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")


def summary(counts: dict[str, int]) -> str:
    return json.dumps(dict(sorted(counts.items())), indent=2)
