import base64

import pyotp
import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Root-pass-12345"


@pytest.fixture
def superuser():
    return User.objects.create_superuser(
        "root@example.com", PASSWORD, first_name="R", last_name="T"
    )


def verified_client(user) -> Client:
    """A session logged in and verified by a second factor, as the admin's login makes one."""
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_every_model_has_a_working_admin_changelist(superuser):
    client = verified_client(superuser)
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


def test_the_admin_wants_a_second_factor(superuser):
    changelist = reverse("admin:accounts_user_changelist")
    password_only = Client()
    password_only.force_login(superuser)
    assert password_only.get(changelist).status_code == 302  # to the login page

    device = TOTPDevice.objects.create(user=superuser, name="authenticator", confirmed=True)
    login_url = reverse("admin:login")
    form = {"username": superuser.email, "password": PASSWORD, "next": changelist}
    client = Client()
    refused = client.post(login_url, {**form, "otp_token": "000000"})
    assert refused.status_code == 200  # the form again, with an error
    assert client.get(changelist).status_code == 302

    code = pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()
    signed_in = client.post(
        login_url, {**form, "otp_device": device.persistent_id, "otp_token": code}
    )
    assert signed_in.status_code == 302, signed_in.content[:500]
    assert client.get(changelist).status_code == 200
