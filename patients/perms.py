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
anonymisation, GDPR export, "who accessed this record". Practitioners do not see the NIR:
Passerelle holds no medical record that would need the INS to be matched, and billing (which
needs it) is done by others. See docs/patients.md.
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
