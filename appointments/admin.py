"""The Django admin shows appointments' reference data read-only: every change goes through
the staff screens and the API, which call `appointments.services` (the rules, the audit entry
and the booking checks live there, not in a model form). Appointments themselves are not in
the admin: reading them is journaled by the agenda's selectors."""

from __future__ import annotations

from django.contrib import admin

from appointments.models import (
    Absence,
    ConsultationType,
    ExtraSchedule,
    WeeklySchedule,
)
from centre.admin_audit import ReadOnlyAdmin


@admin.register(ConsultationType)
class ConsultationTypeAdmin(ReadOnlyAdmin[ConsultationType]):
    list_display = ("label", "profession", "duration_minutes", "bookable_by_mediators", "is_active")
    list_filter = ("profession", "is_active")


@admin.register(WeeklySchedule)
class WeeklyScheduleAdmin(ReadOnlyAdmin[WeeklySchedule]):
    list_display = ("practitioner", "site", "weekday", "start_time", "end_time", "valid_from")
    list_filter = ("site", "weekday")


@admin.register(ExtraSchedule)
class ExtraScheduleAdmin(ReadOnlyAdmin[ExtraSchedule]):
    list_display = ("practitioner", "site", "date", "start_time", "end_time")


@admin.register(Absence)
class AbsenceAdmin(ReadOnlyAdmin[Absence]):
    list_display = ("practitioner", "start", "end", "reason")
    list_filter = ("reason",)
