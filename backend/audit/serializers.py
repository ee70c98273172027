"""Inputs of admin actions: the reason that goes into the admin action log."""

from rest_framework import serializers

from common.fields import StrictCharField


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)


class OptionalReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500, required=False, default="", allow_blank=True)
