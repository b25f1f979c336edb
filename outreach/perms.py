"""Who may do what in outreach (DESIGN.md: least privilege).

- mediation: everything outreach, including mediators' notes;
- direction: reads everything and the aggregates, writes nothing;
- accueil: the queue of referrals to the centre only (book or decline), never the notes;
- soignant, facturation: nothing in outreach.

Correcting a session after it was entered is narrower than `WRITE`: see `can_edit_session`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from centre.models import User
from centre.roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from outreach.models import RightsSession

WRITE = (Role.MEDIATION,)
READ = (Role.MEDIATION, Role.DIRECTION)
QUEUE_READ = (Role.ACCUEIL, Role.MEDIATION, Role.DIRECTION)
QUEUE_WRITE = (Role.ACCUEIL,)
# Roles allowed to see outreach events on a patient's timeline (they carry topics).
TIMELINE_ROLES = frozenset({Role.MEDIATION.value, Role.DIRECTION.value})


def can_edit_session(user: User | AnonymousUser, session: RightsSession) -> bool:
    """Only the mediator who entered a session (`session_log` records the acting user as
    `session.mediator`) may correct it, and only while they hold the mediation role.

    Least privilege: the direction reads outreach and writes nothing, so it does not correct
    sessions either; another mediator sees who entered the session and asks them, so that
    what a session says stays the word of the person who held it. Superusers administer the
    installation and get no exception here."""
    if not isinstance(user, User) or not user.is_active:
        return False
    return user.has_role(*WRITE) and session.mediator_id == user.pk
