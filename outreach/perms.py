"""Who may do what in outreach: least privilege — each role reaches only the outreach data
its work needs (RGPD art. 5(1)(c) data minimisation and art. 25 data protection by default;
docs/outreach.md, « Qui voit quoi »).

- mediation: everything outreach, including mediators' notes;
- direction: reads everything and the aggregates, writes nothing;
- accueil: the queue of referrals to the centre only (book or decline), never the notes;
- soignant, facturation: nothing in outreach.

Correcting what was entered:
- a session: narrower than `WRITE`, its author only (`can_edit_session`);
- a collective action: narrower than `WRITE`, its organiser only (`can_edit_collective_action`);
- a place: `WRITE` (any mediator, as for adding one): places are shared reference data with
  no author, and one no longer used is marked inactive, never deleted.

Cancelling a permanence (or it and the following ones of its series): `WRITE`, any mediator,
as for scheduling one. The permanence's mediator is often the one who cannot come (illness),
so a colleague cancels for them, and `permanence_schedule` already lets any mediator plan a
permanence for another one; the direction reads and writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from centre.models import User
from centre.perms import require_role
from centre.roles import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from outreach.models import CollectiveAction, RightsSession

WRITE = (Role.MEDIATION,)
READ = (Role.MEDIATION, Role.DIRECTION)
QUEUE_READ = (Role.ACCUEIL, Role.MEDIATION, Role.DIRECTION)
QUEUE_WRITE = (Role.ACCUEIL,)
# Roles allowed to see outreach events on a patient's timeline (they carry topics).
TIMELINE_ROLES = frozenset({Role.MEDIATION.value, Role.DIRECTION.value})


ROLE_REFUSED = "Votre rôle ne permet pas cette action en médiation."


def require(user: User, roles: tuple[str, ...]) -> None:
    """The role check of every outreach service, whatever door it is called from (page, API,
    task, command): an inactive account or one without any of `roles` is refused
    (`Forbidden`, 403 in the API). Superusers pass, as `role_required` lets them in."""
    require_role(user, roles, ROLE_REFUSED)


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


def can_edit_collective_action(user: User | AnonymousUser, action: CollectiveAction) -> bool:
    """Only the mediator who entered a collective action (`collective_action_create` records
    the acting user as `action.organiser`) may correct it, and only while they hold the
    mediation role.

    Least privilege, as for sessions: the number of participants and the review are what the
    organiser reports to funders and the CLS, so they stay that person's word; the direction
    reads and writes nothing, and a colleague sees who organised the action and asks them."""
    if not isinstance(user, User) or not user.is_active:
        return False
    return user.has_role(*WRITE) and action.organiser_id == user.pk
