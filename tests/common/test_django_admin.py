import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_every_model_has_a_working_admin_changelist():
    superuser = User.objects.create_superuser(
        "root@example.com", "Root-pass-12345", first_name="R", last_name="T"
    )
    client = Client()
    client.force_login(superuser)
    registered = admin.site._registry
    app_models = {m._meta.label for m in registered}
    for label in [
        "accounts.User",
        "accounts.LoginEvent",
        "appointments.Appointment",
        "audit.AdminActionLog",
        "clinics.Clinic",
        "doctors.Doctor",
        "loyalty.PointsTransaction",
        "patients.Patient",
        "scheduling.Slot",
    ]:
        assert label in app_models, label
    for model in registered:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
