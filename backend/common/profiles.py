"""The caller's own profile of a kind (patient, doctor): one query, one refusal."""

from rest_framework.exceptions import APIException


def own_profile(model, user, *, refusal: type[APIException], kind: str):
    """`user`'s row of `model` (a profile with a `user` link), or `refusal` naming the `kind`."""
    profile = model.objects.select_related("user").filter(user=user).first()
    if profile is None:
        raise refusal(f"You have no {kind} profile.")
    return profile
