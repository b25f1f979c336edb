"""« À faire » items of the appointments app (centre.notifications): past appointments still
without a final status. Reception fills in everybody's (the whole centre's list, as on
`appointments:to_fill_in`); a practitioner who is not also at reception, their own."""

from __future__ import annotations

from django.urls import reverse

from appointments.models import Appointment
from centre.models import User
from centre.notifications import NotificationItem, Severity, plural
from centre.roles import Role


def provider(user: User) -> list[NotificationItem]:
    if user.has_role(Role.ACCUEIL):
        qs = Appointment.objects.to_fill_in()
        label = "à compléter (arrivé·e, vu·e ou absent·e)"
    elif user.has_role(Role.SOIGNANT):
        qs = Appointment.objects.to_fill_in().filter(practitioner__user=user)
        label = "à clore dans votre agenda"
    else:
        return []
    count = qs.count()  # one COUNT query
    return [
        NotificationItem(
            kind="appointments.to_fill_in",
            label=f"{plural(count, 'rendez-vous passé', 'rendez-vous passés')} {label}",
            url=reverse("appointments:to_fill_in"),
            severity=Severity.WARNING,
            count=count,
        )
    ]
