"""Crypto-shredding of the journal: personal values sealed with a per-person key held outside
the journal; erasure destroys the key, the entries stay (append-only) but read « [effacé] »."""

from __future__ import annotations

import datetime

import pytest
from django.db import DatabaseError, connection, transaction

from centre import journal_keys
from centre.models import AuditEntry, JournalKey, Site, User
from patients.models import Coverage
from patients.services import gdpr, identity
from tests.patients.factories import make_nir

D = datetime.date
NIR = make_nir("F", D(1984, 3, 12))


def _register(by: User) -> int:
    patient = identity.patient_register(
        values={
            "last_name": "Zerbib",
            "first_name": "Hélène",
            "sex": "F",
            "birth_date": D(1984, 3, 12),
            "nir": NIR,
            "phone": "06 12 34 56 78",
            "email": "helene.zerbib@example.org",
        },
        by=by,
    )
    return patient.pk


def _raw(entry_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT object_repr || changes::text || extra::text || sealed_label"
            " FROM centre_auditentry WHERE id = %s",
            [entry_id],
        )
        return str(cursor.fetchone()[0])


def test_stored_entry_carries_no_identity_and_reads_back_clear(staff: dict[str, User]) -> None:
    pk = _register(staff["accueil"])
    entry = AuditEntry.objects.get(action="patient.create")
    # Stored: a pseudonym and sealed values only.
    raw = _raw(entry.pk)
    for value in ("Zerbib", "Hélène", "1984-03-12", NIR, "+33612345678", "helene.zerbib"):
        assert value not in raw
    assert entry.object_repr == f"Patient·e n° {pk}"
    assert (entry.subject_type, entry.subject_id) == ("patients.patient", str(pk))
    # Read through the ORM: unsealed with the key.
    assert entry.changes["last_name"] == [None, "Zerbib"]
    assert entry.changes["nir"] == [None, NIR]
    assert entry.object_label.startswith("ZERBIB") or "Zerbib" in entry.object_label.title()
    key = JournalKey.objects.get(subject_type="patients.patient", subject_id=str(pk))
    assert key.secret and key.destroyed_at is None


def test_erasure_destroys_the_key_and_keeps_who_did_what_and_when(
    staff: dict[str, User],
) -> None:
    pk = _register(staff["accueil"])
    patient = identity.Patient.objects.get(pk=pk)
    identity.patient_update(
        patient=patient, values={"phone": "06 98 76 54 32"}, by=staff["accueil"]
    )
    before = list(
        AuditEntry.objects.filter(subject_id=str(pk)).order_by("id").values_list("id", "at")
    )
    assert len(before) == 2

    gdpr.patient_anonymise(patient=patient, by=staff["direction"])

    create, update = AuditEntry.objects.filter(
        pk__in=[i for i, _ in before if i is not None]
    ).order_by("id")
    # Still there, same actor, action and time (nothing rewritten).
    assert [(e.id, e.at) for e in (create, update)] == before
    assert create.actor == staff["accueil"] and create.action == "patient.create"
    assert update.action == "patient.update"
    # Values unreadable.
    assert create.changes["last_name"] == ["[effacé]", "[effacé]"]
    assert update.changes == {"phone": ["[effacé]", "[effacé]"]}
    assert create.object_label == f"[effacé] (Patient·e n° {pk})"
    assert create.key_id is not None
    old_key = JournalKey.objects.get(pk=create.key_id)
    assert old_key.secret is None and old_key.destroyed_at is not None
    # The erasure entry itself stays readable (a new key, nothing identifying in it).
    erased = AuditEntry.objects.get(action="patient.anonymise")
    assert erased.key_id != old_key.pk
    assert erased.extra["journal_keys_destroyed"] == 1
    assert "nir" in erased.extra["erased"]


def test_entries_about_other_objects_of_the_person_are_sealed_too(
    staff: dict[str, User], site: Site
) -> None:
    from tests.patients.factories import CoverageFactory

    coverage: Coverage = CoverageFactory(insured_nir=NIR)  # type: ignore[assignment]
    assert journal_keys.subject_of(coverage) == ("patients.patient", str(coverage.patient_id))
    assert journal_keys.subject_of(site) is None
    with transaction.atomic():
        from centre import audit

        audit.record(actor=None, action="test.coverage", obj=coverage, changes={"x": [1, NIR]})
        audit.record(actor=None, action="test.site", obj=site, changes={"name": ["a", "b"]})
    sealed = AuditEntry.objects.get(action="test.coverage")
    assert NIR not in _raw(sealed.pk) and sealed.changes == {"x": [1, NIR]}
    clear = AuditEntry.objects.get(action="test.site")
    assert clear.key_id is None and clear.object_repr == str(site)


def test_the_journal_stays_append_only_with_keys(staff: dict[str, User]) -> None:
    pk = _register(staff["accueil"])
    entry = AuditEntry.objects.get(action="patient.create", subject_id=str(pk))
    with pytest.raises(DatabaseError, match="ajout seul"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(changes={})


def test_erasure_covers_the_records_merged_into_the_kept_one(staff: dict[str, User]) -> None:
    from patients.services import duplicates
    from tests.security.test_erasure_scan import _scan

    kept = identity.Patient.objects.get(pk=_register(staff["accueil"]))
    other_nir = make_nir("F", D(1984, 3, 12), place="75056")
    twin = identity.Patient.objects.create(
        last_name="Zerbib-Haddad", first_name="Hélène", sex="F", birth_date=D(1984, 3, 12),
        nir=other_nir, phone="+33677889900",
    )  # fmt: skip
    with transaction.atomic():
        from centre import audit

        audit.record(actor=None, action="patient.update", obj=twin, changes={"x": ["", "y"]})
    duplicates.patients_merge(keep=kept, merged=twin, by=staff["direction"])
    assert _scan(["Zerbib-Haddad", other_nir, "+33677889900"])  # still in the merged record

    gdpr.patient_anonymise(patient=kept, by=staff["direction"])

    assert _scan(["Zerbib", other_nir, "+33677889900", NIR, "Hélène"]) == {}
    twin.refresh_from_db()
    assert twin.anonymised_at is not None and twin.last_name == "ANONYME"
    erasure = AuditEntry.objects.get(action="patient.anonymise")
    assert erasure.extra["merged_records_erased"] == [twin.pk]
    assert erasure.extra["journal_keys_destroyed"] == 2
