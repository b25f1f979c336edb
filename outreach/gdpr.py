"""What outreach erases and exports for a person (RGPD art. 17 and 15).

Registered with `patients.hooks` at import (imported by `PatientsConfig.ready`).

Erasure concerns the outreach person linked to the record (with consent, when it was linked):
the alias (« repère »: initials, a first name), the mediation notes and the scope of consent
written in sessions, the referral reasons and outcomes go. The sessions, rights files and
referrals stay as anonymous facts (dates, topics, kinds, decisions): they are what the
funders' activity reports count. The journal key of the outreach person is destroyed with
the patient's.
"""

from __future__ import annotations

from typing import Any

from centre import journal_keys
from outreach.models import Person, Referral, RightsFile, RightsSession
from patients import hooks
from patients.models import Patient


def erase(patient: Patient) -> hooks.Erasure:
    persons = list(Person.objects.filter(patient=patient).values_list("pk", flat=True))
    return hooks.Erasure(
        counts={
            "outreach_aliases": Person.objects.filter(pk__in=persons)
            .exclude(alias="")
            .update(alias=""),
            "outreach_session_notes": RightsSession.objects.filter(person__in=persons).update(
                notes="", consent_scope=""
            ),
            "referral_reasons": Referral.objects.filter(person__in=persons).update(
                reason="", outcome="", fit_warning=""
            ),
        },
        subjects=[(journal_keys.PERSON, str(pk)) for pk in persons],
    )


def export(patient: Patient) -> dict[str, list[dict[str, Any]]]:
    persons = Person.objects.filter(patient=patient)
    sessions = (
        RightsSession.objects.filter(person__in=persons)
        .select_related("mediator", "place")
        .order_by("held_on", "pk")
    )
    files = RightsFile.objects.filter(person__in=persons).order_by("opened_on", "pk")
    referrals = Referral.objects.filter(person__in=persons).order_by("created_at", "pk")
    return {
        "outreach_person": [
            {
                "id": p.pk,
                "alias": p.alias,
                "sex": p.get_sex_display(),
                "age_band": p.get_age_band_display(),
                "neighbourhood": p.neighbourhood,
                "linked_at": p.linked_at.isoformat() if p.linked_at else None,
                "link_consent_on": p.link_consent_on.isoformat() if p.link_consent_on else None,
            }
            for p in persons
        ],
        "outreach_sessions": [
            {
                "id": s.pk,
                "held_on": s.held_on.isoformat(),
                "channel": s.get_channel_display(),
                "place": s.place.name if s.place is not None else "",
                "situation": s.get_situation_display() if s.situation else "",
                "topics": list(s.topics),
                "actions": list(s.actions),
                "outcome": s.get_outcome_display(),
                "followup_on": s.followup_on.isoformat() if s.followup_on else None,
                "consent_scope": s.consent_scope,
                "notes": s.notes,
            }
            for s in sessions
        ],
        "rights_files": [
            {
                "id": f.pk,
                "kind": f.get_kind_display(),
                "status": f.get_status_display(),
                "opened_on": f.opened_on.isoformat(),
                "filed_on": f.filed_on.isoformat() if f.filed_on else None,
                "decision": f.get_decision_display() if f.decision else "",
                "decided_on": f.decided_on.isoformat() if f.decided_on else None,
                "effective_from": f.effective_from.isoformat() if f.effective_from else None,
            }
            for f in files
        ],
        "referrals": [
            {
                "id": r.pk,
                "created_at": r.created_at.isoformat(),
                "target": r.get_target_display(),
                "partner_name": r.partner_name,
                "reason": r.reason,
                "urgency": r.get_urgency_display(),
                "status": r.get_status_display(),
                "outcome": r.outcome,
            }
            for r in referrals
        ],
    }


def records(patient: Patient) -> dict[str, list[str]]:
    persons = Person.objects.filter(patient=patient)
    return {
        "outreach.person": [str(pk) for pk in persons.values_list("pk", flat=True)],
        "outreach.rightssession": [
            str(pk)
            for pk in RightsSession.objects.filter(person__in=persons).values_list("pk", flat=True)
        ],
        "outreach.rightsfile": [
            str(pk)
            for pk in RightsFile.objects.filter(person__in=persons).values_list("pk", flat=True)
        ],
        "outreach.referral": [
            str(pk)
            for pk in Referral.objects.filter(person__in=persons).values_list("pk", flat=True)
        ],
    }


hooks.register_erasure(erase)
hooks.register_export(export)
hooks.register_records(records)
