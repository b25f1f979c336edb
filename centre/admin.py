from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from centre.admin_audit import AuditedModelAdmin, ReadOnlyAdmin
from centre.models import ApiToken, AuditEntry, Centre, Site, StaffProfile, User
from centre.perms import acting_user
from centre.services import api_tokens


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

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and not obj.is_active:
            # Deactivated here as on the team page: the person's API tokens die with it
            # (reactivating the account does not bring them back).
            api_tokens.token_revoke_all(by=acting_user(request), owner=obj, reason="deactivation")


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
class AuditEntryAdmin(ReadOnlyAdmin[AuditEntry]):
    """Read-only: the journal is append-only, in the database as here."""

    list_display = ("at", "actor_label", "action", "object_type", "object_repr", "ip")
    list_filter = ("action",)
    search_fields = ("actor_label", "object_repr", "object_id", "request_id")
    date_hierarchy = "at"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Read-only: tokens are created and revoked by their owner (page « Jetons d'API ») or
    with the account's deactivation; only their hash is stored."""

    list_display = ("prefix", "user", "name", "created", "expiry_date", "last_used_at", "revoked")
    list_filter = ("revoked",)
    search_fields = ("prefix", "name", "user__email")
    exclude = ("id", "hashed_key")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
