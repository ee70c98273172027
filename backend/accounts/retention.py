"""Retention of login events (docs/privacy.md)."""

from datetime import datetime

from django.db import connection

from .models import LoginEvent


def prune_login_events(*, before: datetime) -> int:
    """Delete login events older than `before`. The table is append-only to the code that
    records logins (no row is ever changed); its retention period is the one way rows leave,
    by a plain DELETE past the model's refusal."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {LoginEvent._meta.db_table} WHERE created_at < %s",  # noqa: S608
            [before],
        )
        return cursor.rowcount
