"""Visit type endpoints x roles -> status (docs/rules.md, "Who may do what")."""

import pytest

from tests.authz import Endpoint, cases, check, expect
from tests.factories import VisitTypeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.shared_world]

V1 = "/api/v1"


def body(**fields):
    return {
        "name": "First visit",
        "reason_code": "first-visit",
        "duration_minutes": 30,
        "price": "80.00",
        "modality": "in_person",
    } | fields


def doctors_type(w) -> str:
    return f"{V1}/visit-types/{VisitTypeFactory(doctor=w.doctor).pk}/"


def clinics_type(w) -> str:
    return f"{V1}/visit-types/{VisitTypeFactory(doctor=None, clinic=w.clinic).pk}/"


ENDPOINTS = [
    Endpoint("visit-types-list", "GET", lambda w: f"{V1}/visit-types/", expect(200)),
    Endpoint("visit-types-detail", "GET", doctors_type, expect(200)),
    Endpoint(
        # The caller's own type: confirmed doctors only.
        "visit-types-create",
        "POST",
        lambda w: f"{V1}/visit-types/",
        expect(403, doctor=201, other_doctor=201),
        body=lambda w: body(),
    ),
    Endpoint(
        "visit-types-create-clinic",
        "POST",
        lambda w: f"{V1}/visit-types/",
        expect(403, clinic_admin=201),
        body=lambda w: body(clinic=str(w.clinic.pk)),
    ),
    Endpoint(
        "visit-types-update",
        "PATCH",
        doctors_type,
        expect(403, doctor=200),
        body=lambda w: {"price": "90.00"},
    ),
    Endpoint(
        "visit-types-update-clinic",
        "PATCH",
        clinics_type,
        expect(403, clinic_admin=200),
        body=lambda w: {"price": "90.00"},
    ),
    Endpoint("visit-types-retire", "DELETE", doctors_type, expect(403, doctor=204)),
]


@pytest.mark.parametrize(("endpoint", "role"), cases(ENDPOINTS))
def test_visit_type_authorization(client_for, world, endpoint, role):
    check(client_for, world, endpoint, role)
