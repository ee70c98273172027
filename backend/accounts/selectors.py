from .models import User


def account_for_user(user: User) -> User:
    """The user with their roles loaded, ready for AccountSerializer."""
    return User.objects.prefetch_related("roles").get(pk=user.pk)
