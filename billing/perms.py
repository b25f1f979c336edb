"""Who may do what in billing (DESIGN.md, least privilege).

- facturation: everything billing;
- direction: read everything, and manage the fee schedule;
- accueil: what the patient pays now, payments and receipts;
- soignant: close their own consultations with acts, see their own invoices only;
- mediation: nothing.
"""

from __future__ import annotations

from centre.roles import Role

BILLING_READ = (Role.FACTURATION, Role.DIRECTION)
BILLING_WRITE = (Role.FACTURATION,)
FEE_SCHEDULE_READ = (Role.FACTURATION, Role.DIRECTION, Role.SOIGNANT)
FEE_SCHEDULE_WRITE = (Role.DIRECTION,)
CASHIER = (Role.ACCUEIL, Role.FACTURATION)
INVOICE_READ = (Role.FACTURATION, Role.DIRECTION, Role.ACCUEIL, Role.SOIGNANT)
CLOSE_CONSULTATION = (Role.SOIGNANT,)
