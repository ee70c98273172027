from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import User, normalize_email


class EmailBackend(ModelBackend):
    """Authenticates by email, whatever its case."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        login = email or username
        if login is None or password is None:
            return None
        try:
            user = User.objects.get(email=normalize_email(login))
        except User.DoesNotExist:
            User().set_password(password)  # same hashing time whether or not the user exists
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def lockout_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The login django-axes counts failures against: the email as stored, whatever its case.

    The API passes `email=`, the admin's login form `username=`; both mean the email. Without
    normalising, `Pat@x` and `pat@x` would each get their own allowance of failures.
    """
    source = credentials or request.POST
    login = source.get("email") or source.get("username")
    return normalize_email(login) if login else None
