from __future__ import annotations

from django.contrib import admin

from centre.admin_audit import AuditedModelAdmin, ReadOnlyAdmin
from patients.models import BirthPlace, QpvStreet


@admin.register(QpvStreet)
class QpvStreetAdmin(AuditedModelAdmin[QpvStreet]):
    """Reference data: streets of priority neighbourhoods (loaded by `load_qpv_streets`),
    editable here, each change journaled by `AuditedModelAdmin`. Patients, their rights and
    the "not duplicates" marks are deliberately not registered: they change only through
    `patients.services` (role checks, rules, journal), whichever door is used."""

    list_display = ("street", "city", "postal_code", "qpv_name", "qpv_code")
    list_filter = ("city", "qpv_name")
    search_fields = ("street", "qpv_name")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        from patients.services.identity import street_key

        obj.street_key = street_key(obj.street)
        super().save_model(request, obj, form, change)


@admin.register(BirthPlace)
class BirthPlaceAdmin(ReadOnlyAdmin[BirthPlace]):
    """Reference data of the INSEE COG, read-only: refreshed from the official files with
    `manage.py load_cog` (docs/identitovigilance.md)."""

    list_display = ("code", "name", "kind", "department", "cog_type", "valid_until")
    list_filter = ("kind", "cog_type")
    search_fields = ("code", "name")
