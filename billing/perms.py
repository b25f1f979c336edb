"""Who may do what in billing (least privilege, RGPD art. 5(1)(c) and 9: health data;
the roles column of docs/billing.md « Pages »).

- facturation: everything billing;
- direction: read everything, and manage the fee schedule;
- accueil: what the patient pays now, payments and receipts;
- soignant: close their own consultations with acts, see their own invoices only;
- mediation: nothing.

The services and selectors check these themselves (`require`), whichever door calls them;
the views' decorators and the API permission classes only refuse early.
"""

from __future__ import annotations

from collections.abc import Iterable

from billing.errors import BillingForbidden
from centre.models import User
from centre.perms import require_role
from centre.roles import Role

BILLING_READ = (Role.FACTURATION, Role.DIRECTION)
BILLING_WRITE = (Role.FACTURATION,)
FEE_SCHEDULE_READ = (Role.FACTURATION, Role.DIRECTION, Role.SOIGNANT)
FEE_SCHEDULE_WRITE = (Role.DIRECTION,)
CASHIER = (Role.ACCUEIL, Role.FACTURATION)
INVOICE_READ = (Role.FACTURATION, Role.DIRECTION, Role.ACCUEIL, Role.SOIGNANT)
CLOSE_CONSULTATION = (Role.SOIGNANT,)

_MESSAGES = {
    BILLING_READ: "Réservé à la facturation et à la direction.",
    BILLING_WRITE: "Réservé à la facturation.",
    FEE_SCHEDULE_READ: "Réservé à la facturation, à la direction et aux soignant·e·s.",
    FEE_SCHEDULE_WRITE: "Réservé à la direction.",
    CASHIER: "Réservé à l'accueil et à la facturation.",
    INVOICE_READ: "Vous n'avez pas accès aux factures.",
    CLOSE_CONSULTATION: "Réservé aux soignant·e·s.",
}


def require(by: User, allowed: Iterable[Role]) -> None:
    """Raise BillingForbidden unless `by` holds one of the `allowed` roles."""
    allowed = tuple(allowed)
    message = _MESSAGES.get(allowed, "Action non autorisée pour votre rôle.")
    require_role(by, allowed, message, refusal=BillingForbidden)
