"""Rights of the person (GDPR): access (export, art. 15) and erasure (anonymisation, art. 17)."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from centre import audit, journal_keys
from centre.models import AuditEntry, User
from centre.refusals import Forbidden
from patients import hooks, perms
from patients.models import NotDuplicatePair, Patient
from patients.services import identity_status
from patients.services.coverage import COVERAGE_FIELDS
from patients.services.identity import AUDITED_FIELDS, PatientError

ERASED_FIELDS = (
    "birth_name",
    "nir",
    "phone",
    "phone_alt",
    "email",
    "address",
    "city",
    "admin_notes",
)


def patient_anonymise(*, patient: Patient, by: User) -> Patient:
    """Erase the identity of a person who asked for it (RGPD art. 17) where the law allows:
    appointments, invoices and sessions stay (billing evidence is kept its legal time, and
    aggregates still count them) but point to a record without identity; every app erases
    its free texts and recipients (`patients.hooks.register_erasure`), and the journal keys
    of the person are destroyed (crypto-shredding, `centre.journal_keys`). Sex, birth year,
    postal code and QPV flag are kept for the funders' aggregates. The audit entry lists the
    fields erased, never their values."""
    _check_direction(by)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        if locked.anonymised_at is not None:
            raise PatientError("Ce dossier est déjà anonymisé.")
        if locked.merged_into_id is not None:
            raise PatientError("Ce dossier a été fusionné : anonymisez le dossier conservé.")
        # The records merged into this one are the same person: erased with it.
        merged = _merged_sources(locked)
        unmarked, erased = _erase_record(locked)
        subjects = [(journal_keys.PATIENT, str(locked.pk)), *erased.subjects]
        for source in merged:
            _, source_erased = _erase_record(source)
            subjects += [(journal_keys.PATIENT, str(source.pk)), *source_erased.subjects]
            for kind, count in source_erased.counts.items():
                erased.counts[kind] = erased.counts.get(kind, 0) + count
        # Crypto-shredding: the keys that sealed this person's journal entries are destroyed,
        # so the entries keep who did what and when, and their values read « [effacé] ».
        keys_destroyed = journal_keys.keys_destroy(subjects)
        audit.record(
            actor=by,
            action="patient.anonymise",
            obj=locked,
            extra={
                "erased": [*ERASED_FIELDS, "last_name", "first_name", "birth_date"],
                "not_duplicate_marks_removed": unmarked,
                "merged_records_erased": [m.pk for m in merged],
                "journal_keys_destroyed": keys_destroyed,
                "elsewhere": erased.counts,
            },
        )
    return locked


def _merged_sources(patient: Patient) -> list[Patient]:
    """Every record merged into `patient`, directly or through another merged record."""
    found: list[Patient] = []
    frontier = [patient.pk]
    seen = {patient.pk}
    while frontier:
        rows = list(
            Patient.objects.select_for_update().filter(merged_into__in=frontier).order_by("pk")
        )
        rows = [r for r in rows if r.pk not in seen]
        seen.update(r.pk for r in rows)
        found.extend(rows)
        frontier = [r.pk for r in rows]
    return found


def _erase_record(record: Patient) -> tuple[list[int], hooks.Erasure]:
    """Erase one record's identity and what every app holds about it; returns the records
    whose « not duplicates » marks with it were removed, and what the apps erased."""
    record.last_name = "ANONYME"
    record.first_name = f"n° {record.pk}"
    record.birth_date = datetime.date(record.birth_date.year, 1, 1)
    record.birth_rank = None
    for name in ERASED_FIELDS:
        setattr(record, name, "")
    record.gdpr_informed_on = None
    record.consent_sms = record.consent_email = False
    record.nir_needs_review = False
    identity_status.erase_identitovigilance(record)  # strict traits, document, INS
    record.anonymised_at = timezone.now()
    record.save()
    record.coverages.update(
        insured_nir="", contract="", organism_number="", doctor_name="", label=""
    )
    # An anonymised record never shows in the duplicates list again, and the reason
    # written for a mark may identify the person ("jumelle de …"): the marks go.
    marks = NotDuplicatePair.objects.involving(record.pk)
    unmarked = sorted(m.other_id(record.pk) for m in marks.only("first_id", "second_id"))
    marks.delete()
    # Every app erases what it holds (reminder recipients, outreach notes…), keeping the
    # pieces the law requires, pseudonymised (see each app's gdpr.py and docs/security.md).
    return unmarked, hooks.erase_everywhere(record)


def patient_export(*, by: User, patient: Patient, fmt: Literal["json", "pdf"]) -> dict[str, Any]:
    """The subject access export (art. 15), journaled as read (`patient.export_json` or
    `patient.export_pdf`): the director's only."""
    _check_direction(by)
    audit.record_read(actor=by, action=f"patient.export_{fmt}", obj=patient)
    return patient_export_data(patient)


def _check_direction(by: User) -> None:
    if not perms.is_direction(by):
        raise Forbidden("Seule la direction exerce les droits RGPD sur un dossier.")


def patient_export_data(patient: Patient) -> dict[str, Any]:
    """Everything Passerelle holds about the person, for a subject access request: identity,
    coverage history, the sections of every app (appointments, reminders sent, waiting list,
    invoices, payments, claims, outreach sessions, rights files, referrals) and who read or
    changed the record, through every door."""
    from patients.models import Coverage

    identity = audit.snapshot(patient, AUDITED_FIELDS)
    identity["id"] = patient.pk
    identity["created_at"] = patient.created_at.isoformat()
    coverages = [
        {"id": c.pk, **audit.snapshot(c, COVERAGE_FIELDS)}
        for c in Coverage.objects.filter(patient=patient).order_by("kind", "start")
    ]
    events = [
        {"at": e.at.isoformat(), "kind": e.kind, "label": e.label, "status": e.status}
        for e in hooks.timeline_for(patient, roles=_ALL_ROLES)
    ]
    # The director's decisions that this record is not the same person as another one: the
    # person learns that such a check was made and when, but not which other record nor the
    # reason, which concern someone else (the twin, the namesake) — the right of access must
    # not reveal that another person is a patient here (GDPR art. 15(4)).
    marks = [
        {"decided_at": decided_at.isoformat()}
        for decided_at in NotDuplicatePair.objects.involving(patient.pk)
        .order_by("decided_at", "pk")
        .values_list("decided_at", flat=True)
    ]
    return {
        "generated_at": timezone.now().isoformat(),
        "identity": identity,
        "coverages": coverages,
        "timeline": events,
        "not_duplicate_marks": marks,
        # appointments, reminders, waiting list, invoices, payments, claims, outreach…
        **hooks.export_everywhere(patient),
        "accesses": [
            {
                "at": e.at.isoformat(),
                "who": _staff_name(e),
                "action": e.action,
                "read": e.is_read,
                "object": e.object_repr,
            }
            for e in who_read(patient)
        ],
    }


def _staff_name(entry: AuditEntry) -> str:
    if entry.actor is not None:
        return entry.actor.get_full_name() or entry.actor.email
    return entry.actor_label


def who_read(patient: Patient, *, limit: int | None = None) -> list[AuditEntry]:
    """Every journal entry that read or changed something of this person, newest first,
    whatever the door (page, API, export, task): the entries about the person (the patient,
    the outreach person linked to the record, sealed with their keys), and the lists and
    exports whose shown ids include one of the person's records (`record_list_read`)."""
    records = hooks.records_everywhere(patient)
    query = Q(subject_type=journal_keys.PATIENT, subject_id=str(patient.pk)) | Q(
        object_type=Patient._meta.label_lower, object_id=str(patient.pk)
    )
    persons = records.get(journal_keys.PERSON, [])
    if persons:
        query |= Q(subject_type=journal_keys.PERSON, subject_id__in=persons)
    for label, ids in records.items():
        if ids:
            query |= Q(object_type=label, object_id="", extra__ids__has_any_keys=ids)
    entries = AuditEntry.objects.filter(query).select_related("actor").order_by("-at", "-id")
    return list(entries[:limit] if limit is not None else entries)


_ALL_ROLES = ("accueil", "soignant", "mediation", "facturation", "direction")
