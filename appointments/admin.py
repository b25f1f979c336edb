"""Reference data managed by the superuser: consultation types, schedules, absences."""

from __future__ import annotations

from django.contrib import admin

from appointments.models import Absence, ConsultationType, ExtraSchedule, WeeklySchedule


@admin.register(ConsultationType)
class ConsultationTypeAdmin(admin.ModelAdmin[ConsultationType]):
    list_display = ("label", "profession", "duration_minutes", "bookable_by_mediators", "is_active")
    list_filter = ("profession", "is_active")


@admin.register(WeeklySchedule)
class WeeklyScheduleAdmin(admin.ModelAdmin[WeeklySchedule]):
    list_display = ("practitioner", "site", "weekday", "start_time", "end_time", "valid_from")
    list_filter = ("site", "weekday")


@admin.register(ExtraSchedule)
class ExtraScheduleAdmin(admin.ModelAdmin[ExtraSchedule]):
    list_display = ("practitioner", "site", "date", "start_time", "end_time")


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin[Absence]):
    list_display = ("practitioner", "start", "end", "reason")
    list_filter = ("reason",)
