"""Reference data managed by the superuser: consultation types, schedules, absences."""

from __future__ import annotations

from django.contrib import admin

from appointments.models import Absence, ConsultationType, ExtraSchedule, WeeklySchedule
from centre.admin_audit import AuditedModelAdmin


@admin.register(ConsultationType)
class ConsultationTypeAdmin(AuditedModelAdmin[ConsultationType]):
    list_display = ("label", "profession", "duration_minutes", "bookable_by_mediators", "is_active")
    list_filter = ("profession", "is_active")


@admin.register(WeeklySchedule)
class WeeklyScheduleAdmin(AuditedModelAdmin[WeeklySchedule]):
    list_display = ("practitioner", "site", "weekday", "start_time", "end_time", "valid_from")
    list_filter = ("site", "weekday")


@admin.register(ExtraSchedule)
class ExtraScheduleAdmin(AuditedModelAdmin[ExtraSchedule]):
    list_display = ("practitioner", "site", "date", "start_time", "end_time")


@admin.register(Absence)
class AbsenceAdmin(AuditedModelAdmin[Absence]):
    list_display = ("practitioner", "start", "end", "reason")
    list_filter = ("reason",)
