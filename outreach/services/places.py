"""Places where the team holds permanences and collective actions: add and correct (a place
is never deleted, it is marked no longer used)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from centre import audit
from centre.models import Site, User
from outreach import perms
from outreach.models import (
    Place,
    PlaceKind,
)
from outreach.services.base import NOT_EDITABLE, fail_if

PLACE_FIELDS = ("name", "kind", "address", "neighbourhood", "in_qpv", "site", "partner_contact")
# What a correction may change: everything entered, and whether the place is still used. A
# place is never deleted: its permanences, sessions and collective actions point at it
# (`on_delete=PROTECT`) and the indicators count by place. One no longer used is marked
# inactive instead: it stays in the history and is no longer offered for new entries.
PLACE_EDITABLE_FIELDS = (*PLACE_FIELDS, "is_active")


def _validate_place(
    *, name: str, kind: str, site: Site, place: Place | None = None
) -> dict[str, str]:
    """The rules of a place, at creation (`place` None) and at correction."""
    errors: dict[str, str] = {}
    same_name = Place.objects.filter(name__iexact=name)
    if place is not None:
        same_name = same_name.exclude(pk=place.pk)
    if not name:
        errors["name"] = "Indiquez le nom du lieu."
    elif same_name.exists():
        errors["name"] = "Un lieu porte déjà ce nom."
    if kind not in PlaceKind.values:
        errors["kind"] = "Type de lieu inconnu."
    # A place keeps the site it was attached to even once that site has closed; it cannot
    # be attached to a closed site.
    if (place is None or site.pk != place.site_id) and not site.is_active:
        errors["site"] = "Ce site n'est plus actif."
    return errors


def place_create(
    *,
    by: User,
    name: str,
    kind: str,
    site: Site,
    address: str = "",
    neighbourhood: str = "",
    in_qpv: bool = False,
    partner_contact: str = "",
) -> Place:
    perms.require(by, perms.WRITE)
    fail_if(_validate_place(name=name.strip(), kind=kind, site=site))
    with transaction.atomic():
        place = Place.objects.create(
            name=name.strip(),
            kind=kind,
            site=site,
            address=address.strip(),
            neighbourhood=neighbourhood.strip(),
            in_qpv=in_qpv,
            partner_contact=partner_contact.strip(),
        )
        audit.record(
            actor=by,
            action="outreach.place.create",
            obj=place,
            changes=audit.snapshot(place, PLACE_FIELDS),
        )
    return place


def place_update(*, by: User, place: Place, changes: Mapping[str, Any]) -> Place:
    """Correct a place, or mark it no longer used (`is_active=False`) or used again:
    `changes` maps fields of `PLACE_EDITABLE_FIELDS` to their new values (the others keep
    theirs). Same rules as `place_create`, one transaction, one `outreach.place.update` entry
    listing only the fields that changed; a correction that changes nothing writes nothing.

    A new `site` applies to what is entered from now on: sessions and collective actions
    copied the place's site when they were entered (`RightsSession.site`,
    `CollectiveAction.site`) and keep it, so the indicators of past periods do not move."""
    perms.require(by, perms.WRITE)
    refused = [name for name in changes if name not in PLACE_EDITABLE_FIELDS]
    fail_if(dict.fromkeys(refused, NOT_EDITABLE))
    with transaction.atomic():
        # Lock the row: two corrections at once (the page and the API) would each validate
        # against the old row and the second would silently undo the first.
        place = Place.objects.select_for_update().get(pk=place.pk)
        values: dict[str, Any] = {
            name: getattr(place, name) for name in PLACE_EDITABLE_FIELDS
        } | dict(changes)
        for name in ("name", "address", "neighbourhood", "partner_contact"):
            values[name] = (values[name] or "").strip()
        values["in_qpv"] = bool(values["in_qpv"])
        values["is_active"] = bool(values["is_active"])
        errors = _validate_place(
            name=values["name"], kind=values["kind"], site=values["site"], place=place
        )
        if place.is_active and not values["is_active"]:
            # A place no longer used is no longer offered for permanences: the ones still
            # planned there would be left on the programme of a place nobody goes to.
            upcoming = place.permanences.filter(is_cancelled=False, end__gt=timezone.now()).count()
            if upcoming:
                errors["is_active"] = (
                    f"{upcoming} permanence(s) encore programmée(s) dans ce lieu : "
                    "annulez-les avant de le marquer comme plus utilisé."
                )
        fail_if(errors)
        diff = audit.assign(place, values, PLACE_EDITABLE_FIELDS)
        if not diff:
            return place
        place.save(update_fields=list(diff))
        audit.record(actor=by, action="outreach.place.update", obj=place, changes=diff)
    return place
