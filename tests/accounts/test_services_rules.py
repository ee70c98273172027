"""Edges of the account rules (accounts/services.py) that `make mutate` showed no other test
pinned."""

import pytest

from accounts.models import Role, UserRole
from accounts.services import grant_role, revoke_role
from tests.factories import user_with_role

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
