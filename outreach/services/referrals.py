"""Referrals (orientations) to the centre or to a partner: make one, book the
consultation it asks for (reception), decline, cancel, record the outcome."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, ConsultationType
from centre import audit
from centre.models import Site, StaffProfile, User
from centre.refusals import NotFound
from outreach import perms
from outreach.models import (
    Person,
    Referral,
    ReferralStatus,
    ReferralTarget,
    RightsSession,
    TransitionError,
    Urgency,
    referral_due_at,
)
from outreach.services.base import OutreachError, fail_if, mediator_site
from outreach.services.persons import link_patient
from patients.models import Patient


@dataclass(frozen=True)
class ReferralRequest:
    """A referral made during a session."""

    target: str
    reason: str
    urgency: str = Urgency.NORMAL
    consultation_type: ConsultationType | None = None
    partner_name: str = ""
    site: Site | None = None


def validate_referral(ref: ReferralRequest) -> dict[str, str]:
    errors: dict[str, str] = {}
    if ref.target not in ReferralTarget.values:
        errors["referral_target"] = "Destination d'orientation inconnue."
    if not ref.reason.strip():
        errors["referral_reason"] = "Indiquez le motif de l'orientation."
    if ref.urgency not in Urgency.values:
        errors["referral_urgency"] = "Urgence inconnue."
    ctype = ref.consultation_type
    if ref.target == ReferralTarget.CENTRE and ctype is not None and not ctype.is_active:
        errors["referral_consultation_type"] = "Ce motif de consultation n'est plus proposé."
    return errors


# The ages an age band allows, for the fit check of a person met anonymously.
AGE_BAND_RANGE: dict[str, tuple[int | None, int | None]] = {
    "lt18": (0, 17),
    "18_25": (18, 25),
    "26_44": (26, 44),
    "45_64": (45, 64),
    "65p": (65, None),
}


def fit_warning(person: Person, ctype: ConsultationType | None, *, on: datetime.date) -> str:
    """Why the motif asked for may not fit the person as recorded (French), or "".

    A warning, never a refusal: the record may be wrong, and reception decides. A linked
    patient's own sex and age count; otherwise what the mediator recorded of the person."""
    if ctype is None:
        return ""
    patient = person.patient
    if patient is not None:
        age = patient.age_on(on)
        return ctype.audience_mismatch(sex=patient.sex, ages=(age, age))
    return ctype.audience_mismatch(
        sex=person.sex, ages=AGE_BAND_RANGE.get(person.age_band, (None, None))
    )


REFERRAL_FIELDS = (
    "person",
    "session",
    "target",
    "partner_name",
    "site",
    "reason",
    "urgency",
    "consultation_type",
    "interpreter_language",
    "due_at",
    "fit_warning",
)


def create_referral_in_transaction(
    *,
    by: User,
    person: Person,
    session: RightsSession | None,
    request: ReferralRequest,
    site: Site,
) -> Referral:
    now = timezone.now()
    ctype = request.consultation_type if request.target == ReferralTarget.CENTRE else None
    referral = Referral.objects.create(
        person=person,
        session=session,
        target=request.target,
        partner_name=request.partner_name.strip(),
        site=request.site or site,
        reason=request.reason.strip(),
        urgency=request.urgency,
        consultation_type=ctype,
        interpreter_language=(session.interpreter_language if session is not None else ""),
        created_by=by,
        created_at=now,
        due_at=referral_due_at(request.urgency, now),
        fit_warning=fit_warning(person, ctype, on=timezone.localdate(now)),
    )
    audit.record(
        actor=by,
        action="outreach.referral.create",
        obj=referral,
        changes=audit.snapshot(referral, REFERRAL_FIELDS),
    )
    return referral


def referral_create(
    *, by: User, person: Person, request: ReferralRequest, session: RightsSession | None = None
) -> Referral:
    perms.require(by, perms.WRITE)
    fail_if(validate_referral(request))
    site = request.site or (session.site if session else None) or mediator_site(by)
    if site is None:
        raise OutreachError({"": "Aucun site n'est rattaché à votre compte : voyez la direction."})
    with transaction.atomic():
        return create_referral_in_transaction(
            by=by, person=person, session=session, request=request, site=site
        )


def referral_book(
    *,
    by: User,
    referral: Referral,
    practitioner: StaffProfile,
    start: datetime.datetime,
    consultation_type: ConsultationType | None = None,
    patient: Patient | None = None,
    link_consent_on: datetime.date | None = None,
) -> Appointment:
    """Reception books the consultation a referral asks for and links both, in one
    transaction: if the slot is taken, neither the appointment nor the status change stays.

    A person met anonymously must first be linked to a patient record (`patient`, with the
    date the person agreed)."""
    # Imported here: appointments must never depend on outreach, and outreach only needs
    # the booking service for this one operation.
    from appointments.services import booking

    perms.require(by, perms.QUEUE_WRITE)
    ctype = consultation_type or referral.consultation_type
    errors: dict[str, str] = {}
    if referral.target != ReferralTarget.CENTRE:
        errors[""] = "Seules les orientations vers le centre se programment ici."
    if ctype is None:
        errors["consultation_type"] = "Choisissez le motif de consultation."
    if referral.person.patient_id is None and patient is None:
        errors["patient"] = (
            "Cette personne a été rencontrée anonymement : rattachez-la d'abord à un dossier "
            "patient (ou créez-le)."
        )
    if patient is not None and referral.person.patient_id is None and link_consent_on is None:
        errors["link_consent_on"] = "Indiquez la date de l'accord de la personne."
    fail_if(errors)
    assert ctype is not None
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("person").get(pk=referral.pk)
        if referral.status != ReferralStatus.PENDING:
            raise OutreachError(
                {"": f"Cette orientation est déjà « {referral.get_status_display().lower()} »."}
            )
        person = referral.person
        if person.patient_id is None:
            assert patient is not None and link_consent_on is not None
            person = link_patient(by=by, person=person, patient=patient, consent_on=link_consent_on)
            referral.refresh_from_db()
        booked_patient = person.patient
        assert booked_patient is not None
        try:
            appointment = booking.appointment_book(
                patient=booked_patient,
                practitioner=practitioner,
                consultation_type=ctype,
                site=referral.site,
                start=start,
                by=by,
                interpreter_language=referral.interpreter_language,
            )
        except booking.BookingError as error:
            # Keeps the booking's kind: a slot taken meanwhile stays a conflict (409).
            raise OutreachError(
                {error.field or "start": error.message}, kind=error.kind, details=error.details
            ) from error
        local = timezone.localtime(appointment.start)
        referral.mark_booked(
            by=by,
            at=timezone.now(),
            outcome=f"Rendez-vous le {local:%d/%m/%Y à %H:%M} avec {practitioner}",
        )
        referral.appointment = appointment
        referral.consultation_type = ctype
        referral.save()
        audit.record(
            actor=by,
            action="outreach.referral.book",
            obj=referral,
            changes={"status": ["attente", referral.status], "appointment": [None, appointment.pk]},
        )
    return appointment


def referral_decline(*, by: User, referral: Referral, reason: str) -> Referral:
    """Reception declines a referral to the centre (its queue holds nothing else: another
    referral is not found from this door)."""
    perms.require(by, perms.QUEUE_WRITE)
    if referral.target != ReferralTarget.CENTRE:
        raise NotFound("Orientation introuvable.")
    return _referral_close(by=by, referral=referral, reason=reason, cancel=False)


def referral_cancel(*, by: User, referral: Referral, reason: str = "") -> Referral:
    perms.require(by, perms.WRITE)
    return _referral_close(by=by, referral=referral, reason=reason, cancel=True)


def _referral_close(*, by: User, referral: Referral, reason: str, cancel: bool) -> Referral:
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        before = referral.status
        try:
            if cancel:
                referral.cancel(by=by, at=timezone.now(), reason=reason)
            else:
                referral.decline(by=by, at=timezone.now(), reason=reason)
        except TransitionError as error:
            raise OutreachError({"reason": str(error)}) from error
        referral.save()
        audit.record(
            actor=by,
            action="outreach.referral.cancel" if cancel else "outreach.referral.decline",
            obj=referral,
            changes={"status": [before, referral.status], "outcome": [None, referral.outcome]},
        )
    return referral


def referral_record_outcome(*, by: User, referral: Referral, outcome: str) -> Referral:
    """Outcome of a referral to a partner (e.g. « reçu·e par l'assistante sociale le 12/03 »)."""
    perms.require(by, perms.WRITE)
    if not outcome.strip():
        raise OutreachError({"outcome": "Indiquez la suite donnée."})
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        before = referral.outcome
        referral.outcome = outcome.strip()
        referral.save(update_fields=["outcome"])
        audit.record(
            actor=by,
            action="outreach.referral.outcome",
            obj=referral,
            changes={"outcome": [before, referral.outcome]},
        )
    return referral
