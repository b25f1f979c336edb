from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from centre.admin_audit import AuditedModelAdmin
from centre.models import AuditEntry, Centre, Site, StaffProfile, User


@admin.register(User)
class UserAdmin(AuditedModelAdmin[User], BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_active", "is_staff")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identité", {"fields": ("first_name", "last_name")}),
        ("Droits", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ("groups",)


@admin.register(Centre)
class CentreAdmin(AuditedModelAdmin[Centre]):
    list_display = ("name", "finess", "am_number")


@admin.register(Site)
class SiteAdmin(AuditedModelAdmin[Site]):
    list_display = ("name", "centre", "in_qpv", "holiday_subdivision", "is_active")
    list_filter = ("is_active", "in_qpv", "holiday_subdivision")


@admin.register(StaffProfile)
class StaffProfileAdmin(AuditedModelAdmin[StaffProfile]):
    list_display = ("user", "profession", "rpps", "job_title")
    list_filter = ("profession",)
    filter_horizontal = ("sites",)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only: the journal is append-only, in the database as here."""

    list_display = ("at", "actor_label", "action", "object_type", "object_repr", "ip")
    list_filter = ("action",)
    search_fields = ("actor_label", "object_repr", "object_id", "request_id")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
