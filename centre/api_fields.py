"""Fields whose documented format is the one the API reads."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
        "example": "09:30",
    }
)
class LocalTimeField(serializers.TimeField):
    """A wall-clock time in Europe/Paris (a permanence from 09:30 to 12:00): no offset, so
    the schema documents `HH:MM[:ss]` rather than RFC 3339's `time`, which carries one and
    which the API would refuse."""
