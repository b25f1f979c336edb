"""Roles of the centre's staff. Each role is a Django group created by a migration."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ACCUEIL = "accueil", "Accueil"
    SOIGNANT = "soignant", "Soignant"
    MEDIATION = "mediation", "Médiation en santé"
    FACTURATION = "facturation", "Facturation"
    DIRECTION = "direction", "Direction"


# When a person holds several roles, the home page is the one of the first role in this order.
HOME_PRIORITY = (Role.DIRECTION, Role.FACTURATION, Role.ACCUEIL, Role.SOIGNANT, Role.MEDIATION)

HOME_URL_NAMES = {
    Role.ACCUEIL: "home_accueil",
    Role.SOIGNANT: "home_soignant",
    Role.MEDIATION: "home_mediation",
    Role.FACTURATION: "home_facturation",
    Role.DIRECTION: "home_direction",
}
