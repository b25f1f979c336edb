"""People met: link one met anonymously to a patient record, with their agreement
(histories merged when the patient was already met)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from centre import audit
from centre.models import User
from outreach import perms
from outreach.models import (
    Person,
)
from outreach.services.base import fail_if
from patients.models import Patient


def person_link_patient(
    *, by: User, person: Person, patient: Patient, consent_on: datetime.date
) -> Person:
    """Link a person met anonymously to a patient record, once the person agreed (date
    recorded). If the patient already has outreach history, the two histories are merged.
    Mediation only (`perms.WRITE`)."""
    perms.require(by, perms.WRITE)
    return link_patient(by=by, person=person, patient=patient, consent_on=consent_on)


def link_patient(
    *, by: User, person: Person, patient: Patient, consent_on: datetime.date
) -> Person:
    """`person_link_patient` without its role check, for `referrals.referral_book`: reception
    links the person met when it books the consultation they were referred to (its own role
    check, `perms.QUEUE_WRITE`)."""
    errors: dict[str, str] = {}
    if person.patient_id is not None:
        errors[""] = "Cette personne est déjà rattachée à un dossier patient."
    if consent_on > timezone.localdate():
        errors["consent_on"] = "La date de l'accord ne peut pas être dans le futur."
    fail_if(errors)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        existing = Person.objects.select_for_update().filter(patient=patient).first()
        if existing is not None:
            # The patient was already met as a linked person: move this person's history
            # there so that "distinct people" does not count them twice.
            moved = {
                "sessions": person.sessions.update(person=existing),
                "files": person.files.update(person=existing),
                "referrals": person.referrals.update(person=existing),
            }
            audit.record(
                actor=by,
                action="outreach.person.merge",
                obj=existing,
                extra={"from_person": person.pk, **moved, "consent_on": consent_on},
            )
            person.delete()
            return existing
        person.patient = patient
        person.linked_at = timezone.now()
        person.link_consent_on = consent_on
        person.save(update_fields=["patient", "linked_at", "link_consent_on"])
        audit.record(
            actor=by,
            action="outreach.person.link",
            obj=person,
            changes={"patient": [None, patient.pk], "link_consent_on": [None, consent_on]},
        )
    return person
