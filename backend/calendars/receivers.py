"""A calendar feed's URL is a credential: it ends with the account's sessions."""

from accounts.models import User
from accounts.signals import sessions_revoked

from .services import revoke_feeds_of


def on_sessions_revoked(sender, user: User, **kwargs) -> None:
    revoke_feeds_of(user=user)


def connect() -> None:
    sessions_revoked.connect(on_sessions_revoked, weak=False, dispatch_uid="calendars:sessions")
