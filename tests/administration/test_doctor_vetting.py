import pytest

from audit.models import AdminActionLog
from tests.errors import assert_error
from tests.factories import DoctorFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_rejected_doctor_is_emailed_stays_invisible_and_can_be_confirmed_later(
    client_for, outbox, run_tasks
):
    doctor = DoctorFactory(is_confirmed=False, confirmed_at=None)
    admin = client_for(user_with_role("platform_admin"))
    response = admin.post(f"/api/v1/doctors/{doctor.pk}/reject/", {"reason": "License not found"})
    assert response.status_code == 200, response.content
    assert response.json()["rejected_at"] is not None
    assert run_tasks() == 1
    assert "License not found" in outbox[0].body
    patient = client_for(user_with_role("patient"))
    assert_error(patient.get(f"/api/v1/doctors/{doctor.pk}/"), 404, "not_found")
    assert admin.get("/api/v1/doctors/?is_rejected=true").json()["count"] == 1
    assert_error(
        admin.post(f"/api/v1/doctors/{doctor.pk}/reject/", {"reason": "again"}),
        409,
        "doctor_already_rejected",
    )
    assert_error(
        admin.post(f"/api/v1/doctors/{doctor.pk}/reject/", {}), 400, "required", attr="reason"
    )

    confirmed = admin.post(f"/api/v1/doctors/{doctor.pk}/confirm/", {"reason": "License verified"})
    assert (confirmed.json()["is_confirmed"], confirmed.json()["rejected_at"]) == (True, None)
    assert patient.get(f"/api/v1/doctors/{doctor.pk}/").status_code == 200
    assert list(AdminActionLog.objects.order_by("created_at").values_list("action", "reason")) == [
        ("doctor_rejected", "License not found"),
        ("doctor_confirmed", "License verified"),
    ]


def test_withdrawing_a_confirmation_hides_a_listed_doctor(client_for):
    doctor = DoctorFactory()
    admin = client_for(user_with_role("platform_admin"))
    assert (
        admin.post(f"/api/v1/doctors/{doctor.pk}/reject/", {"reason": "Suspended"}).status_code
        == 200
    )
    assert_error(
        client_for(user_with_role("patient")).get(f"/api/v1/doctors/{doctor.pk}/"), 404, "not_found"
    )
