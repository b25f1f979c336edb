from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from centre.roles import HOME_PRIORITY, HOME_URL_NAMES, Role

# Navigation entries per role: (label, url name). Apps add theirs as they land.
NAVIGATION: dict[Role, list[tuple[str, str]]] = {
    Role.ACCUEIL: [],
    Role.SOIGNANT: [],
    Role.MEDIATION: [],
    Role.FACTURATION: [],
    Role.DIRECTION: [("Équipe", "staff_list"), ("Journal d'audit", "audit_journal")],
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
