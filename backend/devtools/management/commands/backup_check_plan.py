"""`manage.py backup_check_plan`: the GET requests the backup drill sends to the source and the
restored API (scripts/backup_restore_check.py), by every role, with access tokens minted for
the same users on both sides."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from accounts.models import Role, User
from devtools.bench_scenarios import REPORT_ZONE, _rows, access_token, appointment_range


def _user(sql: str, limit: int, params: tuple = ()) -> list[User]:
    ids = [pk for (pk,) in _rows(sql + " LIMIT %s", [*params, limit])]
    return list(User.objects.filter(pk__in=ids).order_by("email"))


def build_requests(per_role: int = 3) -> list[dict]:
    first, last = appointment_range()
    window = f"date_from={first}&date_to={last}&tz={REPORT_ZONE}"
    requests = [
        {"path": "/api/v1/specialties/", "token": None},
        {"path": "/fhir/r4/metadata", "token": None},
    ]

    def add(user: User, paths: list[str]) -> None:
        token = access_token(user)
        requests.extend({"path": path, "token": token, "user": user.email} for path in paths)

    for user in _user(
        "SELECT p.user_id FROM patients_patient p JOIN appointments_appointment a "
        "ON a.patient_id = p.id GROUP BY p.user_id ORDER BY p.user_id",
        per_role,
    ):
        patient = user.patient
        add(
            user,
            [
                "/api/v1/auth/me/",
                "/api/v1/appointments/?page_size=100",
                "/api/v1/points/",
                f"/api/v1/patients/{patient.pk}/history/",
                "/api/v1/doctors/?page_size=50",
            ],
        )
    for user in _user("SELECT user_id FROM doctors_doctor ORDER BY user_id", per_role):
        add(user, ["/api/v1/appointments/?page_size=100", f"/api/v1/reports/me/?{window}"])
    for role in (Role.CLINIC_ADMIN, Role.PLATFORM_ADMIN):
        sql = "SELECT user_id FROM user_role WHERE role = %s ORDER BY user_id"
        for user in _user(sql, per_role, (str(role),)):
            paths = ["/api/v1/appointments/?page_size=100", "/api/v1/clinics/"]
            if role == Role.PLATFORM_ADMIN:
                paths += [
                    "/api/v1/users/?page_size=100",
                    *(f"/api/v1/reports/{name}/?{window}" for name in ("bookings", "revenue")),
                ]
            add(user, paths)
    return requests


class Command(BaseCommand):
    help = "Write the backup drill's sample of API requests (with access tokens) as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, required=True)
        parser.add_argument("--per-role", type=int, default=3, help="Users of each role")

    def handle(self, *args, **options) -> None:
        requests = build_requests(options["per_role"])
        options["output"].write_text(json.dumps(requests))
        self.stdout.write(f"Wrote {len(requests)} requests to {options['output']}")
