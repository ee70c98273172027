"""Edges of the account rules (accounts/services.py) that `make mutate` showed no other test
pinned."""

import pytest
from django.test import RequestFactory
from rest_framework.exceptions import ValidationError

from accounts.models import Role, TokenFamily, User, UserRole
from accounts.services import (
    change_password,
    create_user,
    grant_role,
    issue_tokens,
    log_out,
    revoke_role,
    rotate_refresh_token,
)
from tests.factories import UserFactory, user_with_role

pytestmark = pytest.mark.django_db


def test_a_granted_role_counts_at_once_and_records_who_granted_it():
    admin = user_with_role(Role.PLATFORM_ADMIN)
    user = user_with_role(Role.PATIENT)
    assert not user.has_role(Role.CLINIC_ADMIN)  # fills the role cache

    granted = grant_role(user=user, role=Role.CLINIC_ADMIN, granted_by=admin)

    assert user.has_role(Role.CLINIC_ADMIN)
    stored = UserRole.objects.get(user=user, role=Role.CLINIC_ADMIN)
    assert (stored.pk, stored.granted_by_id) == (granted.pk, admin.pk)


def test_granting_a_held_role_again_keeps_the_first_grant():
    first_admin, second_admin = (user_with_role(Role.PLATFORM_ADMIN) for _ in range(2))
    user = user_with_role(Role.PATIENT)
    first = grant_role(user=user, role=Role.CLINIC_ADMIN, granted_by=first_admin)
    again = grant_role(user=user, role=Role.CLINIC_ADMIN, granted_by=second_admin)
    assert again.pk == first.pk
    assert UserRole.objects.get(user=user, role=Role.CLINIC_ADMIN).granted_by_id == first_admin.pk


def test_a_revoked_role_stops_counting_at_once_and_only_that_role_goes():
    user = user_with_role(Role.PATIENT)
    grant_role(user=user, role=Role.CLINIC_ADMIN)
    assert user.has_role(Role.CLINIC_ADMIN)  # fills the role cache

    revoke_role(user=user, role=Role.CLINIC_ADMIN)

    assert not user.has_role(Role.CLINIC_ADMIN)
    assert user.has_role(Role.PATIENT)
    assert set(UserRole.objects.filter(user=user).values_list("role", flat=True)) == {Role.PATIENT}


def test_revoking_a_role_leaves_other_users_with_it_and_needs_no_filled_cache():
    user, colleague = user_with_role(Role.CLINIC_ADMIN), user_with_role(Role.CLINIC_ADMIN)
    revoke_role(user=user, role=Role.CLINIC_ADMIN)  # the role cache was never filled
    assert not user.has_role(Role.CLINIC_ADMIN)
    assert UserRole.objects.filter(user=colleague, role=Role.CLINIC_ADMIN).exists()


def test_a_new_account_keeps_its_names_phone_and_password():
    user = create_user(
        email="New.Person@Example.com",
        password="Correct-horse-42",
        first_name="Nia",
        last_name="Person",
        phone="+4930123456",
    )
    stored = User.objects.get(pk=user.pk)
    assert (stored.email, stored.first_name, stored.last_name, stored.phone) == (
        "new.person@example.com",
        "Nia",
        "Person",
        "+4930123456",
    )
    assert stored.check_password("Correct-horse-42")


def test_a_new_password_like_the_users_own_email_is_refused():
    user = UserFactory(email="rosalind.franklin@example.com", password="Old-pass-2026!")
    with pytest.raises(ValidationError) as refused:
        change_password(
            user=user,
            current_password="Old-pass-2026!",
            new_password="rosalind.franklin",
            request=RequestFactory().post("/api/v1/auth/password/change/"),
        )
    assert refused.value.get_codes() == {"new_password": ["password_too_similar"]}
    user.refresh_from_db()
    assert user.check_password("Old-pass-2026!")


def test_logging_out_ends_only_that_session(api_client):
    user = UserFactory(password="Old-pass-2026!")
    first, second = issue_tokens(user=user), issue_tokens(user=user)
    log_out(user=user, raw_refresh=first["refresh"])
    assert rotate_refresh_token(raw=second["refresh"])["refresh"]
    assert TokenFamily.objects.filter(user=user, ended_at__isnull=True).count() == 1
