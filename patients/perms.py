"""Who may do what with patient records: least privilege, i.e. data minimisation and data
protection by default (GDPR art. 5(1)(c) and 25(2)); docs/patients.md, « Qui voit quoi ».

| role        | search & view | create | edit identity | edit coverage / NIR | see NIR |
|-------------|---------------|--------|---------------|---------------------|---------|
| accueil     | yes           | yes    | yes           | yes                 | yes     |
| mediation   | yes           | yes    | no            | no                  | no      |
| soignant    | yes (read)    | no     | no            | no                  | no      |
| facturation | yes           | no     | no            | yes                 | yes     |
| direction   | yes           | yes    | yes           | yes                 | yes     |

Direction alone: possible duplicates (and marking a pair "not duplicates"), merge,
anonymisation, GDPR export, "who accessed this record". Practitioners do not see the NIR.
Passerelle references health data by identity (consultations, ALD, maternity), so it holds
the INS and the RNIV identity status (patients/services/identity_status.py,
docs/identitovigilance.md): the status is shown to every role that sees the record; the INS
matricule, like the NIR, only to SEE_NIR (also for the API's status and INS fields).
Checking an identity document and retrieving the INS need EDIT_IDENTITY; taking a
qualification away is the direction's. See docs/patients.md.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from centre.models import User
from centre.roles import Role

VIEW = (Role.ACCUEIL, Role.MEDIATION, Role.SOIGNANT, Role.FACTURATION, Role.DIRECTION)
CREATE = (Role.ACCUEIL, Role.MEDIATION, Role.DIRECTION)
EDIT_IDENTITY = (Role.ACCUEIL, Role.DIRECTION)
EDIT_COVERAGE = (Role.ACCUEIL, Role.FACTURATION, Role.DIRECTION)
SEE_NIR = (Role.ACCUEIL, Role.FACTURATION, Role.DIRECTION)
RIGHTS_WORKLIST = (Role.ACCUEIL, Role.MEDIATION, Role.DIRECTION)
DIRECTION_ONLY = (Role.DIRECTION,)


def _has(user: User | AnonymousUser, roles: tuple[Role, ...]) -> bool:
    if not user.is_authenticated:
        return False
    assert isinstance(user, User)
    return user.is_superuser or user.has_role(*roles)


def can_see_nir(user: User | AnonymousUser) -> bool:
    return _has(user, SEE_NIR)


def can_edit_identity(user: User | AnonymousUser) -> bool:
    return _has(user, EDIT_IDENTITY)


def can_edit_nir(user: User | AnonymousUser) -> bool:
    """Billing clerks correct the NIR (returns from the caisse) without editing the rest."""
    return _has(user, EDIT_COVERAGE)


def can_edit_coverage(user: User | AnonymousUser) -> bool:
    return _has(user, EDIT_COVERAGE)


def can_create(user: User | AnonymousUser) -> bool:
    return _has(user, CREATE)


def is_direction(user: User | AnonymousUser) -> bool:
    return _has(user, DIRECTION_ONLY)
