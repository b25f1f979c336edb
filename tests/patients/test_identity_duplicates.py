"""Duplicates on the strict traits, and merges that keep the best-qualified identity."""

from __future__ import annotations

import datetime

import pytest

from centre.models import AuditEntry, User
from centre.refusals import Kind
from patients.models import Patient
from patients.services import duplicates, identity, identity_status
from patients.services.identity import PatientError
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def person(**overrides: object) -> Patient:
    values: dict[str, object] = {
        "last_name": "Dupont",
        "birth_name": "Martin",
        "first_name": "Hélène",
        "birth_first_names": ["Hélène"],
        "first_birth_first_name": "Hélène",
        "sex": "F",
        "birth_date": D(1984, 3, 12),
        "birth_place_id": "86194",
    }
    values.update(overrides)
    return PatientFactory.create(**values)


def test_strict_trait_candidates_match_birth_name_date_place_best_status_first(
    staff: dict[str, User],
) -> None:
    provisional = person(last_name="Durand", first_name="Léna")
    qualified = person(last_name="Petit", birth_name="MARTIN")
    identity_status.identity_document_check(by=staff["accueil"], patient=qualified, document="cni")
    identity_status.ins_search(by=staff["accueil"], patient=qualified)
    unknown_place = person(birth_name="Martín", birth_place_id=None)
    person(birth_place_id="86066")  # born elsewhere: another person
    person(birth_date=D(1984, 3, 13))
    person(birth_name="Martins")
    found = duplicates.strict_trait_candidates(
        birth_name="martin", birth_date=D(1984, 3, 12), birth_place_code="86194"
    )
    assert [p.pk for p in found] == [qualified.pk, provisional.pk, unknown_place.pk]


def test_registration_warns_on_the_strict_traits_even_with_other_used_names(
    staff: dict[str, User],
) -> None:
    existing = person(last_name="Dupont", first_name="Hélène")
    with pytest.raises(PatientError) as error:
        identity.patient_register(
            by=staff["accueil"],
            values={
                "last_name": "Zerbib",  # another used name, another used first name
                "first_name": "Léna",
                "birth_name": "Martin",
                "birth_first_names": "Hélène",
                "sex": "F",
                "birth_date": D(1984, 3, 12),
                "birth_place": "86194",
            },
        )
    assert error.value.kind == Kind.CONFLICT
    assert [c["id"] for c in error.value.details["candidates"]] == [existing.pk]


def qualify(patient: Patient, by: User) -> None:
    identity_status.identity_document_check(by=by, patient=patient, document="passeport")
    identity_status.ins_search(by=by, patient=patient)


def test_merging_a_qualified_record_into_a_provisional_one_needs_confirmation(
    staff: dict[str, User],
) -> None:
    director = staff["direction"]
    older = person(birth_name="Martine", birth_first_names=["Hélène", "Anne"])
    newer = person()
    qualify(newer, staff["accueil"])
    with pytest.raises(PatientError) as error:
        duplicates.patients_merge(keep=older, merged=newer, by=director)
    assert error.value.kind == Kind.CONFLICT
    assert error.value.field == "confirm_qualified"
    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.merged_into_id, newer.merged_into_id) == (None, None)

    kept = duplicates.patients_merge(keep=older, merged=newer, by=director, confirm_qualified=True)
    kept.refresh_from_db()
    assert kept.pk == older.pk
    assert (kept.identity_status, kept.ins_matricule) == ("qualifiee", newer.ins_matricule)
    assert (kept.birth_name, kept.birth_first_names) == ("MARTIN", ["HELENE"])
    entry = AuditEntry.objects.get(action="patient.identity.merged")
    assert entry.extra == {"from": newer.pk, "merged_id": newer.pk, "confirmed": True}


def test_the_kept_better_identity_is_not_changed_by_field_choices(staff: dict[str, User]) -> None:
    older = person()
    identity_status.identity_document_check(by=staff["accueil"], patient=older, document="cni")
    newer = person(birth_first_names=["Hélène", "Zoé"], phone="+33612345678")
    kept = duplicates.patients_merge(
        keep=older,
        merged=newer,
        by=staff["direction"],
        choices={"birth_first_names": "merged", "phone": "merged"},
    )
    kept.refresh_from_db()
    assert kept.birth_first_names == ["Hélène"]
    assert kept.phone == "+33612345678"
    assert kept.identity_status == "validee"


def test_two_different_ins_are_never_merged(staff: dict[str, User]) -> None:
    first = person()
    second = person(birth_first_names=["Hélène", "Marie"])
    qualify(first, staff["accueil"])
    qualify(second, staff["accueil"])
    with pytest.raises(PatientError, match="INS différentes"):
        duplicates.patients_merge(
            keep=first, merged=second, by=staff["direction"], confirm_qualified=True
        )


def test_merge_screen_asks_and_passes_the_directors_confirmation(staff: dict[str, User]) -> None:
    from django.test import Client
    from django.urls import reverse

    older = person(birth_first_names=["Hélène", "Anne"])
    newer = person()
    qualify(newer, staff["accueil"])
    client = Client()
    client.force_login(staff["direction"], backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("patients:merge", args=[older.pk, newer.pk])
    page = client.get(url).content.decode()
    assert 'name="confirm_qualified"' in page
    assert "Hélène, Anne" in page
    refused = client.post(url, {})
    assert refused.status_code == 200
    assert "porte une identité plus sûre" in refused.content.decode()
    older.refresh_from_db()
    assert older.identity_status == "provisoire"
    done = client.post(url, {"confirm_qualified": "1"})
    assert done.status_code == 302
    older.refresh_from_db()
    assert older.identity_status == "qualifiee"
