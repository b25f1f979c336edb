"""What every outreach service shares: the refusal type and how a set of field errors
becomes one."""

from __future__ import annotations

from centre.models import Site, StaffProfile, User
from centre.refusals import Refusal


class OutreachError(Refusal):
    """Refused input: a message, or `{field: messages}` ("" for the whole form)."""


def fail_if(errors: dict[str, str]) -> None:
    if errors:
        raise OutreachError(errors)


NOT_EDITABLE = "Ce champ ne peut pas être modifié après la saisie."


def mediator_site(user: User) -> Site | None:
    profile = StaffProfile.objects.filter(user=user).first()
    return profile.sites.order_by("pk").first() if profile else None
