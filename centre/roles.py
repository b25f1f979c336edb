"""Roles of the centre's staff. Each role is a Django group created by a migration."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ACCUEIL = "accueil", "Accueil"
    SOIGNANT = "soignant", "Soignant"
    MEDIATION = "mediation", "Médiation en santé"
    FACTURATION = "facturation", "Facturation"
    DIRECTION = "direction", "Direction"
    # Volunteer inhabitants who type in paper questionnaires: the least-privileged role, it
    # reaches nothing but the entry form of the surveys open for entry (outreach.participation).
    COLLECTE = "collecte", "Collecte (habitant·e bénévole)"


# The centre's staff roles: every role but `collecte`, which is not staff and sees no data.
STAFF_ROLES = (Role.ACCUEIL, Role.SOIGNANT, Role.MEDIATION, Role.FACTURATION, Role.DIRECTION)


# When a person holds several roles, the home page is the one of the first role in this order.
HOME_PRIORITY = (
    Role.DIRECTION,
    Role.FACTURATION,
    Role.ACCUEIL,
    Role.SOIGNANT,
    Role.MEDIATION,
    Role.COLLECTE,
)

HOME_URL_NAMES = {
    Role.ACCUEIL: "home_accueil",
    Role.SOIGNANT: "home_soignant",
    Role.MEDIATION: "home_mediation",
    Role.FACTURATION: "home_facturation",
    Role.DIRECTION: "home_direction",
    Role.COLLECTE: "participation:entry_home",
}
