"""Parity of the doors: each read of patient data done through the page and through the API
leaves the same journal entry (action, object type, object id or ids shown)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from centre.models import AuditEntry, User
from tests.patients.factories import CoverageFactory, PatientFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]
API = "/api/v1/patients/"
ROLES = ("accueil", "mediation", "soignant", "facturation", "direction")


def _entries_after(mark: int, actor: User) -> list[tuple[Any, ...]]:
    """The entries about patients written since `mark` by `actor` (the login of a first
    request is left out), comparable across doors."""
    return [
        (e.action, e.object_type, e.object_id, e.extra.get("ids"), e.extra.get("count"))
        for e in AuditEntry.objects.filter(pk__gt=mark, actor=actor)
        .exclude(action__startswith="auth.")
        .order_by("pk")
    ]


def _mark() -> int:
    last = AuditEntry.objects.order_by("-pk").first()
    return last.pk if last else 0


def _dupont_family() -> list[int]:
    born = datetime.date(1984, 3, 12)
    rows = [
        PatientFactory(last_name="Dupont", first_name="Hélène", birth_date=born),
        PatientFactory(last_name="Dupont", first_name="Marc", birth_date=born),
        PatientFactory(last_name="Dupond", first_name="Anne"),
    ]
    PatientFactory(last_name="Zorro", first_name="Diego")
    for row in rows:
        CoverageFactory(patient=row)
    return [p.pk for p in rows]


@pytest.mark.parametrize("role", ROLES)
def test_a_search_leaves_the_same_entry_through_the_page_and_the_api(
    client_for: ClientFor, staff: dict[str, User], role: str
) -> None:
    _dupont_family()
    client = client_for(role)
    before = _mark()
    page = client.get(reverse("patients:search"), {"q": "dupont"})
    assert page.status_code == 200
    from_page = _entries_after(before, staff[role])
    before = _mark()
    api = client.get(API, {"q": "dupont"})
    assert api.status_code == 200
    from_api = _entries_after(before, staff[role])
    shown = [str(row["id"]) for row in api.json()["results"]]
    assert len(shown) >= 2
    assert from_page == from_api == [("patient.search", "patients.patient", "", shown, len(shown))]


def test_the_search_fragment_of_other_apps_is_journaled_like_the_page(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    _dupont_family()
    client = client_for("accueil")
    before = _mark()
    client.get(reverse("patients:search"), {"q": "dupont"})
    page = _entries_after(before, staff["accueil"])
    before = _mark()
    client.get(reverse("patients:search_results"), {"q": "dupont", "mode": "pick"})
    assert _entries_after(before, staff["accueil"]) == page


def test_the_api_list_journals_the_page_of_ids_it_returns(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    ids = _dupont_family()
    before = _mark()
    body = client_for("soignant").get(API).json()
    assert body["count"] == 4
    shown = [str(row["id"]) for row in body["results"]]
    assert set(map(str, ids)) < set(shown)
    assert _entries_after(before, staff["soignant"]) == [
        ("patient.search", "patients.patient", "", shown, 4)
    ]


def test_a_search_that_shows_nobody_journals_nothing_on_either_door(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    _dupont_family()
    client = client_for("accueil")
    before = _mark()
    client.get(reverse("patients:search"), {"q": "personne inconnue"})
    assert client.get(API, {"q": "personne inconnue"}).json()["results"] == []
    assert _entries_after(before, staff["accueil"]) == []


@pytest.mark.parametrize("role", ROLES)
def test_a_record_read_leaves_the_same_entry_through_the_page_and_the_api(
    client_for: ClientFor, staff: dict[str, User], role: str
) -> None:
    patient = CoverageFactory().patient
    client = client_for(role)
    before = _mark()
    assert client.get(reverse("patients:detail", args=[patient.pk])).status_code == 200
    from_page = _entries_after(before, staff[role])
    before = _mark()
    assert client.get(f"{API}{patient.pk}/").status_code == 200
    from_api = _entries_after(before, staff[role])
    assert (
        from_page == from_api == [("patient.view", "patients.patient", str(patient.pk), None, None)]
    )


def test_duplicate_candidates_shown_at_intake_are_journaled_alike_on_both_doors(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    existing = PatientFactory(
        last_name="Martin", first_name="Marc", birth_date=datetime.date(1990, 7, 1)
    )
    client = client_for("accueil")
    before = _mark()
    live = client.get(
        reverse("patients:duplicate_check"),
        {"last_name": "Martin", "first_name": "Marc", "birth_date": "1990-07-01"},
    )
    assert reverse("patients:detail", args=[existing.pk]) in live.content.decode()
    from_page = _entries_after(before, staff["accueil"])
    before = _mark()
    refused = client.post(
        API,
        {"last_name": "Martin", "first_name": "Marc", "sex": "F", "birth_date": "1990-07-01"},
        content_type="application/json",
    )
    assert refused.status_code == 409
    from_api = _entries_after(before, staff["accueil"])
    expected = [("patient.duplicate_candidates", "patients.patient", "", [str(existing.pk)], 1)]
    assert from_page == from_api == expected


def test_the_other_patient_lists_of_the_pages_are_journaled(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    no_rights = PatientFactory(last_name="Sansdroits")
    client = client_for("mediation")
    before = _mark()
    assert client.get(reverse("patients:rights_worklist")).status_code == 200
    entries = _entries_after(before, staff["mediation"])
    assert entries == [("patient.rights_worklist", "patients.patient", "", [str(no_rights.pk)], 1)]

    born = datetime.date(1970, 1, 1)
    a = PatientFactory(last_name="Lefebvre", first_name="Julie", birth_date=born)
    b = PatientFactory(last_name="Lefebvre", first_name="Julie", birth_date=born)
    director = client_for("direction")
    before = _mark()
    assert director.get(reverse("patients:duplicates")).status_code == 200
    assert director.get(reverse("patients:merge", args=[b.pk, a.pk])).status_code == 200
    assert _entries_after(before, staff["direction"]) == [
        ("patient.duplicates", "patients.patient", "", [str(a.pk), str(b.pk)], 2),
        ("patient.merge_screen", "patients.patient", "", [str(a.pk), str(b.pk)], 2),
    ]


def test_the_edit_form_reads_the_record_as_the_record_page_does(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    patient = PatientFactory()
    client = client_for("accueil")
    before = _mark()
    assert client.get(reverse("patients:edit", args=[patient.pk])).status_code == 200
    assert _entries_after(before, staff["accueil"]) == [
        ("patient.view", "patients.patient", str(patient.pk), None, None)
    ]
