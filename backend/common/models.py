import uuid

from django.db import models


class UUIDModel(models.Model):
    """A model whose primary key is a random UUID, so ids in URLs reveal nothing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class TimeStampedModel(UUIDModel):
    """A UUID model with `created_at` and `updated_at`."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


def assign_fields(instance: models.Model, values: dict, allowed) -> list[str]:
    """Set the `allowed` attributes present in `values`; return their names for update_fields."""
    names = [name for name in allowed if name in values]
    for name in names:
        setattr(instance, name, values[name])
    return names


class EmailDelivery(models.Model):
    """One row per email handed to the mail server, under the message's idempotency key: a
    task that runs again (a retry, an expired lease) finds it and does not send twice."""

    key = models.CharField(max_length=200, primary_key=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "email deliveries"

    def __str__(self) -> str:
        return self.key
