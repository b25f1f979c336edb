from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from centre.roles import HOME_PRIORITY, HOME_URL_NAMES, Role

# Navigation entries per role: (label, url name). Apps add theirs as they land.
NAVIGATION: dict[Role, list[tuple[str, str]]] = {
    Role.ACCUEIL: [
        ("Patients", "patients:search"),
        ("Droits à suivre", "patients:rights_worklist"),
        ("Agenda", "appointments:day"),
        ("À compléter", "appointments:to_fill_in"),
        ("Liste d'attente", "appointments:waiting_list"),
        ("Plannings", "appointments:schedules"),
        ("Motifs", "appointments:types"),
        ("Orientations à programmer", "outreach_referral_queue"),
        ("Encaissements", "billing:cashier"),
    ],
    Role.SOIGNANT: [
        ("Mon agenda", "appointments:my_agenda"),
        ("Agenda", "appointments:day"),
        ("Patients", "patients:search"),
    ],
    Role.MEDIATION: [
        ("Patients", "patients:search"),
        ("Droits à suivre", "patients:rights_worklist"),
        ("Permanences", "outreach_day"),
        ("Suivis", "outreach_followups"),
        ("Actions collectives", "outreach_collective_actions"),
        ("Lieux", "outreach_places"),
        ("Orientations", "outreach_referral_queue"),
        ("Enquêtes", "participation:survey_list"),
        ("Comité d'usagers", "participation:committee"),
    ],
    Role.FACTURATION: [
        ("Patients", "patients:search"),
        ("Facturation", "billing:dashboard"),
        ("Lots", "billing:batch_list"),
        ("Retours", "billing:return_import"),
        ("Rejets et impayés", "billing:claims_to_work"),
        ("Droits ouverts", "billing:pending_conversions"),
        ("Encaissements", "billing:cashier"),
        ("Nomenclature", "billing:fee_schedule"),
    ],
    Role.DIRECTION: [
        ("Tableau de bord", "reports:dashboard"),
        ("Rapports", "reports:list"),
        ("Équipe", "staff_list"),
        ("Journal d'audit", "audit_journal"),
        ("Patients", "patients:search"),
        ("Doublons", "patients:duplicates"),
        ("Agenda", "appointments:day"),
        ("Consultations", "appointments:consultations"),
        ("Plannings", "appointments:schedules"),
        ("Motifs", "appointments:types"),
        ("Médiation", "outreach_indicators"),
        ("Enquêtes", "participation:survey_list"),
        ("Comité d'usagers", "participation:committee"),
        ("Facturation", "billing:dashboard"),
        ("Nomenclature", "billing:fee_schedule"),
    ],
    # Volunteers see their home page (the entry form list) and nothing else.
    Role.COLLECTE: [],
}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items: list[dict[str, object]] = []
    seen: set[str] = set()
    for role in HOME_PRIORITY:
        if role.value not in user.roles:
            continue
        entries = [(role.label, HOME_URL_NAMES[role])]
        entries += NAVIGATION[role]
        for label, name in entries:
            if name in seen:
                continue
            seen.add(name)
            url = reverse(name)
            items.append({"label": label, "url": url, "current": request.path == url})
    return {"nav_items": items}
