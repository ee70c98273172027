import pytest

from audit.models import AdminActionLog
from common.append_only import AppendOnlyError
from tests.factories import ClinicFactory, UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_role_and_clinic_admin_changes_are_logged_and_listable(client_for):
    admin = user_with_role("platform_admin")
    client = client_for(admin)
    user = UserFactory()
    clinic = ClinicFactory()
    client.post(f"/api/v1/users/{user.pk}/roles/", {"role": "platform_admin", "reason": "new hire"})
    client.post(f"/api/v1/clinics/{clinic.pk}/admins/", {"user": str(user.pk)})
    client.delete(f"/api/v1/users/{user.pk}/roles/clinic_admin/")
    actions = list(AdminActionLog.objects.order_by("created_at").values_list("action", flat=True))
    assert actions == [
        "role_granted",
        "clinic_admin_assigned",
        "clinic_admin_removed",
        "role_revoked",
    ]
    response = client.get("/api/v1/admin-actions/?page_size=50")
    assert response.json()["count"] == 4
    assert response.json()["results"][0]["action"] == "role_revoked"
    assert [r["reason"] for r in response.json()["results"]] == ["", "", "", "new hire"]
    filtered = client.get(
        f"/api/v1/admin-actions/?action=clinic_admin_assigned&target_id={user.pk}"
    )
    assert filtered.json()["results"][0]["details"] == {"clinic": str(clinic.pk)}


def test_admin_log_is_append_only():
    admin = user_with_role("platform_admin")
    entry = AdminActionLog.objects.create(
        actor=admin, action="user_activated", target_type="user", target_id=admin.pk
    )
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AdminActionLog.objects.update(reason="rewritten")
