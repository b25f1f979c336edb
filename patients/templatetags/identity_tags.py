"""Identitovigilance in templates: the status badge and the printed identity (RNIV form).

{% load identity_tags %}
{% identity_status_badge patient %}   → <span class="badge …">Identité validée</span>
{{ patient|printed_identity }}        → MARTIN HELENE, née le 12/03/1984 (F) — nom utilisé : DUPONT
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from patients.models import IdentityStatus, Patient
from patients.strict_traits import printed_identity as _printed

register = template.Library()

_CSS = {
    IdentityStatus.PROVISIONAL: "warn",
    IdentityStatus.RETRIEVED: "info",
    IdentityStatus.VALIDATED: "info",
    IdentityStatus.QUALIFIED: "ok",
}


@register.simple_tag
def identity_status_badge(patient: Patient) -> SafeString:
    status = IdentityStatus(patient.identity_status)
    return format_html(
        '<span class="badge {} identity-status" data-status="{}">{}</span>',
        _CSS[status],
        status.value,
        status.label,
    )


@register.filter
def printed_identity(patient: Patient) -> str:
    return _printed(
        birth_name=patient.birth_name,
        first_names=patient.birth_first_names or [],
        first_first_name=patient.first_birth_first_name,
        birth_date=patient.birth_date,
        sex=patient.sex,
        used_name=patient.last_name,
        used_first_name=patient.first_name,
    ).line()
