"""« Ce ne sont pas des doublons »: the director marks a pair of records as two people."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from centre.models import AuditEntry, User
from patients import selectors
from patients.models import NotDuplicatePair, Patient
from patients.services import duplicates, gdpr, identity
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db
D = datetime.date
ClientFor = Callable[[str | None], Client]
TWINS_BIRTH = D(2001, 5, 4)


def twins(n: int = 2, *, birth: datetime.date = TWINS_BIRTH, name: str = "Martin") -> list[Patient]:
    """`n` records the duplicate detection pairs with each other (same birth date and name)."""
    return [
        make_patient(last_name=name, first_name=first, birth_date=birth)
        for first in ("Léa", "Lea", "Léa Marie")[:n]
    ]


def make_patient(**values: object) -> Patient:
    patient = PatientFactory(**values)
    assert isinstance(patient, Patient)
    return patient


def listed_pairs() -> set[tuple[int, int]]:
    return {(p.first.pk, p.second.pk) for p in selectors.possible_duplicates()}


def mark_url(a: Patient, b: Patient) -> str:
    return reverse("patients:not_duplicate", args=[a.pk, b.pk])


def test_marking_hides_that_pair_and_only_that_pair(client_for: ClientFor) -> None:
    a, b, c = twins(3)
    x, y = twins(2, birth=D(1990, 1, 2), name="Durand")
    assert listed_pairs() == {(a.pk, b.pk), (a.pk, c.pk), (b.pk, c.pk), (x.pk, y.pk)}
    client = client_for("direction")

    response = client.post(mark_url(a, b), {"reason": "  jumelles,   vérifié à l'accueil "})

    assert response.status_code == 302
    assert response["Location"] == reverse("patients:duplicates")
    assert listed_pairs() == {(a.pk, c.pk), (b.pk, c.pk), (x.pk, y.pk)}
    mark = NotDuplicatePair.objects.get()
    assert (mark.first_id, mark.second_id) == (a.pk, b.pk)
    assert mark.reason == "jumelles, vérifié à l'accueil"
    html = client.get(reverse("patients:duplicates")).content.decode()
    assert reverse("patients:merge", args=[a.pk, b.pk]) not in html
    assert reverse("patients:merge", args=[a.pk, c.pk]) in html
    assert reverse("patients:merge", args=[x.pk, y.pk]) in html
    # The pair is listed in the "not duplicates" section with its undo button.
    assert reverse("patients:not_duplicate_undo", args=[mark.pk]) in html
    assert "jumelles, vérifié à l&#x27;accueil" in html


def test_pair_is_stored_lower_id_first_whatever_the_order_given(
    staff: dict[str, User],
) -> None:
    a, b = twins()
    mark = duplicates.patients_mark_not_duplicates(first=b, second=a, by=staff["direction"])
    assert (mark.first_id, mark.second_id) == (a.pk, b.pk)
    assert listed_pairs() == set()


def test_marking_twice_is_idempotent_and_keeps_the_first_decision(
    staff: dict[str, User], client_for: ClientFor
) -> None:
    a, b = twins()
    first = duplicates.patients_mark_not_duplicates(
        first=a, second=b, reason="jumelles", by=staff["direction"]
    )
    again = duplicates.patients_mark_not_duplicates(
        first=b, second=a, reason="autre chose", by=staff["direction"]
    )
    response = client_for("direction").post(mark_url(a, b), {"reason": ""})

    assert response.status_code == 302
    assert again.pk == first.pk
    assert NotDuplicatePair.objects.count() == 1
    assert NotDuplicatePair.objects.get().reason == "jumelles"
    assert AuditEntry.objects.filter(action="patient.not_duplicate").count() == 2


def test_marking_is_audited_on_both_records(client_for: ClientFor, staff: dict[str, User]) -> None:
    a, b = twins()
    client_for("direction").post(mark_url(b, a), {"reason": "homonymes"})

    mark = NotDuplicatePair.objects.get()
    entries = AuditEntry.objects.filter(action="patient.not_duplicate").order_by("object_id")
    assert [(e.object_type, e.object_id) for e in entries] == sorted(
        [("patients.patient", str(a.pk)), ("patients.patient", str(b.pk))],
        key=lambda row: row[1],
    )
    by_patient = {e.object_id: e for e in entries}
    assert by_patient[str(a.pk)].extra == {
        "mark_id": mark.pk,
        "other_id": b.pk,
        "reason": "homonymes",
    }
    assert by_patient[str(b.pk)].extra["other_id"] == a.pk
    assert {e.actor_id for e in entries} == {staff["direction"].pk}
    # The director sees it in the record's access log.
    assert selectors.access_log(a)[0].action == "patient.not_duplicate"


def test_undo_brings_the_pair_back_and_is_audited(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    a, b = twins()
    mark = duplicates.patients_mark_not_duplicates(
        first=a, second=b, reason="jumelles", by=staff["direction"]
    )
    assert listed_pairs() == set()
    client = client_for("direction")
    url = reverse("patients:not_duplicate_undo", args=[mark.pk])

    response = client.post(url)

    assert response["Location"] == reverse("patients:duplicates")
    assert not NotDuplicatePair.objects.exists()
    assert listed_pairs() == {(a.pk, b.pk)}
    entries = AuditEntry.objects.filter(action="patient.not_duplicate_undo")
    assert sorted(int(e.object_id) for e in entries) == sorted([a.pk, b.pk])
    entry = entries.get(object_id=str(a.pk))
    assert entry.extra["other_id"] == b.pk
    assert entry.extra["reason"] == "jumelles"
    assert entry.extra["decided_by_id"] == staff["direction"].pk
    assert entry.actor_id == staff["direction"].pk
    html = client.get(reverse("patients:duplicates")).content.decode()
    assert reverse("patients:merge", args=[a.pk, b.pk]) in html
    assert url not in html

    # Undoing again (a double click) neither fails nor writes anything.
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "n'était déjà plus marquée" in response.content.decode().replace("&#x27;", "'")
    assert AuditEntry.objects.filter(action="patient.not_duplicate_undo").count() == 2


@pytest.mark.parametrize("role", ["accueil", "mediation", "soignant", "facturation"])
def test_other_roles_cannot_mark_nor_undo(
    client_for: ClientFor, staff: dict[str, User], role: str
) -> None:
    a, b = twins()
    x, y = twins(2, birth=D(1990, 1, 2), name="Durand")
    mark = NotDuplicatePair.objects.create(first=x, second=y, decided_by=staff["direction"])
    client = client_for(role)

    assert client.post(mark_url(a, b), {"reason": "jumelles"}).status_code == 403
    undo = reverse("patients:not_duplicate_undo", args=[mark.pk])
    assert client.post(undo).status_code == 403
    assert client.get(reverse("patients:duplicates")).status_code == 403

    assert list(NotDuplicatePair.objects.values_list("pk", flat=True)) == [mark.pk]
    assert not AuditEntry.objects.filter(action__startswith="patient.not_duplicate").exists()


def test_mark_and_undo_are_post_only(client_for: ClientFor, staff: dict[str, User]) -> None:
    a, b = twins()
    mark = NotDuplicatePair.objects.create(first=a, second=b, decided_by=staff["direction"])
    client = client_for("direction")
    assert client.get(mark_url(a, b)).status_code == 405
    assert client.get(reverse("patients:not_duplicate_undo", args=[mark.pk])).status_code == 405
    assert NotDuplicatePair.objects.filter(pk=mark.pk).exists()


def test_mark_refuses_one_record_twice_merged_records_and_long_reasons(
    staff: dict[str, User], client_for: ClientFor
) -> None:
    a, b, c = twins(3)
    director = staff["direction"]
    with pytest.raises(identity.PatientError, match="deux dossiers différents"):
        duplicates.patients_mark_not_duplicates(first=a, second=a, by=director)
    duplicates.patients_merge(keep=a, merged=c, by=director)
    with pytest.raises(identity.PatientError, match="fusionné ou anonymisé"):
        duplicates.patients_mark_not_duplicates(first=b, second=c, by=director)

    response = client_for("direction").post(mark_url(a, b), {"reason": "x" * 201}, follow=True)

    assert "200 caractères" in response.content.decode()
    assert not NotDuplicatePair.objects.exists()


def test_database_keeps_one_row_per_pair_lower_id_first(staff: dict[str, User]) -> None:
    a, b = twins()
    director = staff["direction"]
    for first, second in ((b, a), (a, a)):
        with pytest.raises(IntegrityError), transaction.atomic():
            NotDuplicatePair.objects.create(first=first, second=second, decided_by=director)
    NotDuplicatePair.objects.create(first=a, second=b, decided_by=director)
    with pytest.raises(IntegrityError), transaction.atomic():
        NotDuplicatePair.objects.create(first=a, second=b, decided_by=director)


def test_merging_a_marked_pair_stays_possible_and_drops_the_mark(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    a, b = twins()
    duplicates.patients_mark_not_duplicates(
        first=a, second=b, reason="erreur", by=staff["direction"]
    )
    client = client_for("direction")
    merge_url = reverse("patients:merge", args=[a.pk, b.pk])
    assert "Fusionner retire cette marque" in client.get(merge_url).content.decode()

    response = client.post(merge_url)

    assert response["Location"] == reverse("patients:detail", args=[a.pk])
    b.refresh_from_db()
    assert b.merged_into_id == a.pk
    assert not NotDuplicatePair.objects.exists()
    entry = AuditEntry.objects.get(action="patient.merge")
    assert entry.extra["not_duplicate_marks"] == {"removed": [a.pk], "moved": []}
    assert client.get(reverse("patients:duplicates")).status_code == 200


def test_merge_carries_the_marks_of_the_merged_record_to_the_kept_one(
    staff: dict[str, User],
) -> None:
    director = staff["direction"]
    kept, other, newer = twins(3)  # ids in this order
    third = make_patient(last_name="Martin", first_name="Léa", birth_date=D(2001, 5, 4))
    # "other is not newer" and "third is not newer"; "kept is not third" already decided.
    duplicates.patients_mark_not_duplicates(first=newer, second=other, by=director)
    duplicates.patients_mark_not_duplicates(first=third, second=newer, by=director)
    duplicates.patients_mark_not_duplicates(first=kept, second=third, by=director)

    duplicates.patients_merge(keep=kept, merged=newer, by=director)

    pairs = set(NotDuplicatePair.objects.values_list("first_id", "second_id"))
    # newer ≠ other, newer = kept ⇒ kept ≠ other (re-keyed lower id first); kept ≠ third was
    # already there, so the copy from newer is dropped rather than duplicated.
    assert pairs == {(kept.pk, other.pk), (kept.pk, third.pk)}
    assert listed_pairs() == {(other.pk, third.pk)}
    entry = AuditEntry.objects.get(action="patient.merge")
    assert entry.extra["not_duplicate_marks"] == {"removed": [third.pk], "moved": [other.pk]}


def test_anonymising_removes_the_marks_of_the_record(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    a, b, c = twins(3)
    x, y = twins(2, birth=D(1990, 1, 2), name="Durand")
    director = staff["direction"]
    duplicates.patients_mark_not_duplicates(first=a, second=b, reason="jumelle", by=director)
    duplicates.patients_mark_not_duplicates(first=c, second=a, by=director)
    kept = duplicates.patients_mark_not_duplicates(first=x, second=y, by=director)

    gdpr.patient_anonymise(patient=a, by=director)

    assert list(NotDuplicatePair.objects.values_list("pk", flat=True)) == [kept.pk]
    entry = AuditEntry.objects.get(action="patient.anonymise")
    assert entry.extra["not_duplicate_marks_removed"] == [b.pk, c.pk]
    assert listed_pairs() == {(b.pk, c.pk)}
    html = client_for("direction").get(reverse("patients:duplicates")).content.decode()
    assert "jumelle" not in html


def test_deleting_a_record_deletes_its_marks(staff: dict[str, User]) -> None:
    a, b = twins()
    duplicates.patients_mark_not_duplicates(first=a, second=b, by=staff["direction"])
    b.delete()
    assert not NotDuplicatePair.objects.exists()


def test_intake_duplicate_check_still_shows_marked_records(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    """At intake the new person has no record yet: a mark between two existing records says
    nothing about them, so both are still shown."""
    a, b = twins()
    duplicates.patients_mark_not_duplicates(first=a, second=b, by=staff["direction"])
    html = (
        client_for("accueil")
        .get(
            reverse("patients:duplicate_check"),
            {"last_name": "Martin", "first_name": "Léa", "birth_date": "2001-05-04"},
        )
        .content.decode()
    )
    assert reverse("patients:detail", args=[a.pk]) in html
    assert reverse("patients:detail", args=[b.pk]) in html


def test_duplicates_page_query_count_does_not_grow_with_marks(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    client = client_for("direction")
    director = staff["direction"]

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("patients:duplicates")).status_code == 200
        return len(queries)

    a, b = twins()
    duplicates.patients_mark_not_duplicates(first=a, second=b, by=director)
    twins(2, birth=D(1990, 1, 2), name="Durand")  # one pair still listed
    one = page_queries()
    for birth in (D(1970, 1, 1), D(1971, 1, 1)):
        c, d = twins(2, birth=birth, name="Bernard")
        duplicates.patients_mark_not_duplicates(first=c, second=d, by=director)
    # Session and user, the pairs, their records, the marks with both records and who
    # decided: the same count for one mark or three.
    assert page_queries() == one
