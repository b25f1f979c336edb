"""Entries written before crypto-shredding are sealed by migration centre 0011: values sealed
with the person's key, label pseudonymised; the persons already anonymised lose their keys."""

from __future__ import annotations

import datetime
import importlib
from typing import Any, cast

from django.apps import apps
from django.db import connection

from centre.models import AuditEntry, JournalKey, Site
from patients.models import Patient
from tests.appointments.factories import appointment, paris, practitioner
from tests.patients.factories import PatientFactory


def new_patient(**fields: Any) -> Patient:
    return cast(Patient, PatientFactory(**fields))


migration = importlib.import_module("centre.migrations.0011_pv_seal_existing_entries")


def _clear_entry(obj: object, action: str, changes: dict[str, list[str | None]]) -> AuditEntry:
    """An entry as written before migration 0008: values and label in clear, no key."""
    return AuditEntry.objects.create(
        actor_label="accueil@centre.fr",
        action=action,
        object_type=obj._meta.label_lower,  # type: ignore[attr-defined]
        object_id=str(obj.pk),  # type: ignore[attr-defined]
        object_repr=str(obj)[:200],
        changes=changes,
    )


def _raw(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT object_repr || changes::text || extra::text FROM centre_auditentry"
            " WHERE id = %s",
            [pk],
        )
        return str(cursor.fetchone()[0])


def test_old_entries_are_sealed_and_the_anonymised_are_forgotten(site: Site, staff: dict) -> None:
    kept = new_patient(last_name="Okonkwo", first_name="Adaeze")
    gone = new_patient(last_name="Vasquez", first_name="Lucía")
    rdv = appointment(
        practitioner=practitioner(site=site), site=site, start=paris(2025, 3, 10),
        booked_by=staff["accueil"], patient=kept,
    )  # fmt: skip
    old_kept = _clear_entry(kept, "patient.update", {"phone": ["", "+33600000001"]})
    old_rdv = _clear_entry(rdv, "appointment.arrived", {"status": ["booked", "arrived"]})
    old_gone = _clear_entry(gone, "patient.create", {"last_name": [None, "Vasquez"]})
    old_site = _clear_entry(site, "site.update", {"name": ["a", "b"]})
    Patient.objects.filter(pk=gone.pk).update(
        last_name="ANONYME", anonymised_at=datetime.datetime.now(datetime.UTC)
    )

    with connection.schema_editor() as editor:
        migration.seal_existing(apps, editor)

    assert "+33600000001" not in _raw(old_kept.pk) and "Okonkwo" not in _raw(old_kept.pk).title()
    kept_entry = AuditEntry.objects.get(pk=old_kept.pk)
    assert kept_entry.changes == {"phone": ["", "+33600000001"]}
    assert kept_entry.object_repr == f"Patient·e n° {kept.pk}"
    rdv_entry = AuditEntry.objects.get(pk=old_rdv.pk)
    assert (rdv_entry.subject_type, rdv_entry.subject_id) == ("patients.patient", str(kept.pk))
    assert rdv_entry.key_id == kept_entry.key_id
    gone_entry = AuditEntry.objects.get(pk=old_gone.pk)
    assert gone_entry.changes == {"last_name": ["[effacé]", "[effacé]"]}
    assert "Vasquez" not in _raw(old_gone.pk)
    assert JournalKey.objects.get(subject_id=str(gone.pk)).secret is None
    site_entry = AuditEntry.objects.get(pk=old_site.pk)
    assert site_entry.key_id is None and site_entry.changes == {"name": ["a", "b"]}
    # The trigger is back: the journal is append-only again.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = 'centre_auditentry_append_only'"
        )
        assert cursor.fetchone()[0] == "O"
