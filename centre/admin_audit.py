"""Django admin writes go to the audit journal too.

The admin edits reference data (sites, consultation types, schedules, absences, QPV streets);
schedules decide which slots exist, so their changes are as much part of the record as a
booking. The admin saves inside `transaction.atomic()` (changeform_view), so the entry is
written in the same transaction as the change.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.contrib import admin
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest

from centre import audit

M = TypeVar("M", bound=models.Model)


class AuditedModelAdmin(admin.ModelAdmin[M], Generic[M]):
    # Never copied into the journal (a password hash is a secret even when hashed).
    audit_exclude: tuple[str, ...] = ("password", "last_login")

    def _fields(self, obj: models.Model) -> list[str]:
        return [
            f.name
            for f in obj._meta.concrete_fields
            if not f.primary_key and f.name not in self.audit_exclude
        ]

    def save_model(self, request: HttpRequest, obj: M, form: ModelForm[M], change: bool) -> None:
        before: dict[str, Any] = {}
        if change and obj.pk is not None:
            previous = type(obj)._default_manager.filter(pk=obj.pk).first()
            if previous is not None:
                before = audit.snapshot(previous, self._fields(previous))
        super().save_model(request, obj, form, change)
        audit.record(
            actor=request.user,
            action=f"admin.{obj._meta.model_name}.{'update' if change else 'create'}",
            obj=obj,
            changes=audit.diff(before, audit.snapshot(obj, self._fields(obj))),
        )

    def delete_model(self, request: HttpRequest, obj: M) -> None:
        before = audit.snapshot(obj, self._fields(obj))
        audit.record(
            actor=request.user,
            action=f"admin.{obj._meta.model_name}.delete",
            obj=obj,
            changes=audit.diff(before, {}),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[M]) -> None:
        for obj in queryset:
            audit.record(
                actor=request.user,
                action=f"admin.{obj._meta.model_name}.delete",
                obj=obj,
                changes=audit.diff(audit.snapshot(obj, self._fields(obj)), {}),
            )
        super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin[M], Generic[M]):
    """Browse only: no add, change or delete. For domain data and the journal, the services
    are the one way in (rules, permissions, audit entry)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
