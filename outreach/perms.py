"""Who may do what in outreach (DESIGN.md: least privilege).

- mediation: everything outreach, including mediators' notes;
- direction: reads everything and the aggregates, writes nothing;
- accueil: the queue of referrals to the centre only (book or decline), never the notes;
- soignant, facturation: nothing in outreach.
"""

from __future__ import annotations

from centre.roles import Role

WRITE = (Role.MEDIATION,)
READ = (Role.MEDIATION, Role.DIRECTION)
QUEUE_READ = (Role.ACCUEIL, Role.MEDIATION, Role.DIRECTION)
QUEUE_WRITE = (Role.ACCUEIL,)
# Roles allowed to see outreach events on a patient's timeline (they carry topics).
TIMELINE_ROLES = frozenset({Role.MEDIATION.value, Role.DIRECTION.value})
