"""Role-based DRF permission classes shared by every app."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import Role


def has_role(user, role: str) -> bool:
    return bool(user and user.is_authenticated and user.has_role(role))


def is_platform_admin(user) -> bool:
    return has_role(user, Role.PLATFORM_ADMIN)


class IsPlatformAdmin(BasePermission):
    """Only platform admins."""

    message = "Only platform admins may do this."

    def has_permission(self, request, view) -> bool:
        return is_platform_admin(request.user)


class ReadOnlyOrPlatformAdmin(BasePermission):
    """Anyone allowed by the other classes may read; only platform admins may write."""

    message = "Only platform admins may change this."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or is_platform_admin(request.user)


class HasAnyRole(BasePermission):
    """The caller holds at least one of `roles` (set by `any_role`)."""

    roles: tuple[str, ...] = ()
    message = "Your role does not allow this."

    def has_permission(self, request, view) -> bool:
        return any(has_role(request.user, role) for role in self.roles)


def any_role(*roles: str) -> type[HasAnyRole]:
    """A permission class admitting callers with one of `roles`."""
    return type(f"HasAnyRoleOf{'_'.join(roles)}", (HasAnyRole,), {"roles": roles})
