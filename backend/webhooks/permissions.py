"""Who manages webhook endpoints: a clinic's admins for that clinic, platform admins for all."""

from accounts.models import Role
from accounts.permissions import any_role

IsClinicOrPlatformAdmin = any_role(Role.CLINIC_ADMIN, Role.PLATFORM_ADMIN)
