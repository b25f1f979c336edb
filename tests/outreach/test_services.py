from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from appointments.models import Appointment
from centre.models import AuditEntry, Site, User
from outreach import selectors
from outreach.models import (
    FileStatus,
    Permanence,
    Person,
    Referral,
    ReferralStatus,
    RightsFile,
    RightsSession,
)
from outreach.services import collective_actions, files, permanences, persons, referrals, sessions
from outreach.services.base import OutreachError
from tests.appointments.factories import open_plages
from tests.outreach.factories import (
    ConsultationTypeFactory,
    FileFactory,
    PatientFactory,
    PermanenceFactory,
    PlaceFactory,
    SessionFactory,
)

TODAY = datetime.date(2026, 11, 23)


def _input(permanence: Permanence, **kw: object) -> sessions.SessionInput:
    values: dict[str, object] = {
        "held_on": timezone.localtime(permanence.start).date(),
        "permanence": permanence,
        "topics": ["c2s", "medecin_traitant"],
        "actions": ["information"],
    }
    values.update(kw)
    return sessions.SessionInput(**values)  # type: ignore[arg-type]


@pytest.fixture
def permanence(site: Site, staff: dict[str, User]) -> Permanence:
    return PermanenceFactory(place__site=site, mediator=staff["mediation"])


def test_anonymous_session_then_linked_with_consent(
    permanence: Permanence, staff: dict[str, User]
) -> None:
    mediator = staff["mediation"]
    session = sessions.session_log(
        by=mediator,
        data=_input(permanence, followup_on=timezone.localdate() + datetime.timedelta(days=7)),
        anonymous=sessions.AnonymousPerson(
            sex="F", age_band="26_44", in_qpv="oui", neighbourhood="Couronneries", language="ar"
        ),
    )
    person = session.person
    assert person.is_anonymous and person.language == "ar"
    assert session.first_contact is True
    assert session.site == permanence.place.site
    assert session.place == permanence.place
    assert AuditEntry.objects.filter(action="outreach.session.log", object_id=session.pk).exists()

    patient = PatientFactory()
    consent = timezone.localdate()
    linked = persons.person_link_patient(
        by=mediator, person=person, patient=patient, consent_on=consent
    )
    assert linked.pk == person.pk
    linked.refresh_from_db()
    assert linked.patient == patient and linked.link_consent_on == consent
    entry = AuditEntry.objects.get(action="outreach.person.link")
    assert entry.changes["patient"] == [None, patient.pk]
    # A second session for the same patient is a follow-up of the same person.
    again = sessions.session_log(by=mediator, data=_input(permanence), patient=patient)
    assert again.person_id == person.pk and again.first_contact is False


def test_linking_to_a_patient_already_met_merges_histories(
    permanence: Permanence, staff: dict[str, User]
) -> None:
    mediator = staff["mediation"]
    patient = PatientFactory()
    known = sessions.session_log(by=mediator, data=_input(permanence), patient=patient).person
    anon = sessions.session_log(
        by=mediator, data=_input(permanence), anonymous=sessions.AnonymousPerson()
    ).person
    merged = persons.person_link_patient(
        by=mediator, person=anon, patient=patient, consent_on=timezone.localdate()
    )
    assert merged.pk == known.pk
    assert not Person.objects.filter(pk=anon.pk).exists()
    assert RightsSession.objects.filter(person=known).count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"topics": ["c2s", "astrologie"]}, "topics", "Sujet inconnu : astrologie."),
        ({"topics": []}, "topics", "Cochez au moins un sujet."),
        ({"topics": ["cmu_c"]}, "topics", "Sujet inconnu : cmu_c."),
        (
            {"followup_on": datetime.date(2020, 1, 1)},
            "followup_on",
            "La date de suivi ne peut pas être dans le passé.",
        ),
        ({"duration_minutes": 0}, "duration_minutes", "entre 1 et 480 minutes"),
        ({"actions": ["appel_organisme"]}, "consent_on", "demande son accord"),
        ({"interpreting": "pro_telephone"}, "interpreter_language", "Indiquez la langue"),
    ],
)
def test_bad_session_input_is_refused_and_nothing_saved(
    permanence: Permanence,
    staff: dict[str, User],
    changes: dict[str, object],
    field: str,
    message: str,
) -> None:
    audits = AuditEntry.objects.count()
    with pytest.raises(OutreachError) as caught:
        sessions.session_log(
            by=staff["mediation"],
            data=_input(permanence, **changes),
            anonymous=sessions.AnonymousPerson(sex="M"),
            referral=referrals.ReferralRequest(target="centre", reason="Bilan"),
        )
    assert message in " ".join(caught.value.errors[field])
    assert Person.objects.count() == 0
    assert RightsSession.objects.count() == 0
    assert Referral.objects.count() == 0
    assert AuditEntry.objects.count() == audits


def test_permanence_end_before_start_refused(site: Site, staff: dict[str, User]) -> None:
    place = PlaceFactory(site=site)
    with pytest.raises(OutreachError) as caught:
        permanences.permanence_schedule(
            by=staff["mediation"],
            place=place,
            mediator=staff["mediation"],
            first_day=TODAY,
            start_time=datetime.time(14),
            end_time=datetime.time(13),
        )
    assert caught.value.errors["end_time"] == ["L'heure de fin doit être après l'heure de début."]
    assert Permanence.objects.count() == 0


def test_weekly_permanences_keep_paris_wall_clock_across_dst(
    site: Site, staff: dict[str, User]
) -> None:
    place = PlaceFactory(site=site)
    # Next year's change to winter time (last Sunday of October): from the Tuesday 12 days
    # before it (summer time) to 4 weeks later (winter time), inside the planning window.
    year = TODAY.year + 1
    change = max(
        datetime.date(year, 10, day)
        for day in range(25, 32)
        if datetime.date(year, 10, day).weekday() == 6
    )
    first = change - datetime.timedelta(days=12)
    created = permanences.permanence_schedule(
        by=staff["mediation"],
        place=place,
        mediator=staff["mediation"],
        first_day=first,
        start_time=datetime.time(14),
        end_time=datetime.time(17),
        every_weeks=1,
        until=first + datetime.timedelta(weeks=4),
    )
    assert len(created) == 5
    assert len({p.series for p in created}) == 1
    local_hours = {timezone.localtime(p.start).hour for p in created}
    assert local_hours == {14}  # 12:00 UTC in October, 13:00 UTC in November
    assert AuditEntry.objects.get(action="outreach.permanence.schedule").extra["count"] == 5


@pytest.mark.parametrize(
    ("offset_days", "refused"), [(-367, True), (-300, False), (700, False), (733, True)]
)
def test_permanence_planned_within_a_year_back_and_two_ahead(
    site: Site, staff: dict[str, User], offset_days: int, refused: bool
) -> None:
    """A century typed wrong (0873) is refused; a permanence entered late or planned ahead is
    not."""
    call = {
        "by": staff["mediation"],
        "place": PlaceFactory(site=site),
        "mediator": staff["mediation"],
        "first_day": timezone.localdate() + datetime.timedelta(days=offset_days),
        "start_time": datetime.time(9),
        "end_time": datetime.time(12),
    }
    if refused:
        with pytest.raises(OutreachError) as caught:
            permanences.permanence_schedule(**call)  # type: ignore[arg-type]
        assert caught.value.errors == {
            "first_day": [
                "Une permanence se planifie au plus un an en arrière et deux ans à l'avance."
            ]
        }
        assert Permanence.objects.count() == 0
    else:
        assert len(permanences.permanence_schedule(**call)) == 1  # type: ignore[arg-type]


def test_fortnightly_needs_an_end_date(site: Site, staff: dict[str, User]) -> None:
    with pytest.raises(OutreachError) as caught:
        permanences.permanence_schedule(
            by=staff["mediation"],
            place=PlaceFactory(site=site),
            mediator=staff["mediation"],
            first_day=TODAY,
            start_time=datetime.time(9),
            end_time=datetime.time(12),
            every_weeks=2,
        )
    assert "until" in caught.value.errors


def test_referral_to_centre_in_queue_then_booked_and_linked(
    permanence: Permanence, staff: dict[str, User], site: Site
) -> None:
    ctype = ConsultationTypeFactory()
    session = sessions.session_log(
        by=staff["mediation"],
        data=_input(permanence, interpreting="pro_telephone", interpreter_language="ps"),
        anonymous=sessions.AnonymousPerson(sex="M", age_band="18_25"),
        referral=referrals.ReferralRequest(
            target="centre", reason="Pas de médecin traitant", consultation_type=ctype
        ),
    )
    referral = Referral.objects.get(session=session)
    assert list(selectors.referral_queue()) == [referral]
    assert referral.interpreter_language == "ps"

    practitioner = staff["soignant"].profile
    open_plages(practitioner, site)  # the booking rules hold for referrals too
    start = timezone.make_aware(datetime.datetime(2026, 12, 1, 9, 0))
    # An anonymous person must be linked first.
    with pytest.raises(OutreachError) as caught:
        referrals.referral_book(
            by=staff["accueil"], referral=referral, practitioner=practitioner, start=start
        )
    assert "rattachez-la" in caught.value.errors["patient"][0]

    patient = PatientFactory()
    appointment = referrals.referral_book(
        by=staff["accueil"],
        referral=referral,
        practitioner=practitioner,
        start=start,
        patient=patient,
        link_consent_on=timezone.localdate(),
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.BOOKED
    assert referral.appointment == appointment
    assert appointment.patient == patient and appointment.interpreter_language == "ps"
    assert referral.person.patient == patient
    assert list(selectors.referral_queue()) == []
    assert AuditEntry.objects.filter(action="outreach.referral.book").count() == 1


def test_booking_a_taken_slot_leaves_the_referral_pending(
    staff: dict[str, User], site: Site
) -> None:
    from tests.outreach.factories import PersonFactory, ReferralFactory

    ctype = ConsultationTypeFactory()
    practitioner = staff["soignant"].profile
    open_plages(practitioner, site)  # the booking rules hold for referrals too
    start = timezone.make_aware(datetime.datetime(2026, 12, 1, 9, 0))
    first = ReferralFactory(
        person=PersonFactory(patient=PatientFactory()), site=site, consultation_type=ctype
    )
    second = ReferralFactory(
        person=PersonFactory(patient=PatientFactory()), site=site, consultation_type=ctype
    )
    referrals.referral_book(
        by=staff["accueil"], referral=first, practitioner=practitioner, start=start
    )
    with pytest.raises(OutreachError) as caught:
        referrals.referral_book(
            by=staff["accueil"], referral=second, practitioner=practitioner, start=start
        )
    assert caught.value.errors
    second.refresh_from_db()
    assert second.status == ReferralStatus.PENDING and second.appointment is None
    assert Appointment.objects.count() == 1


def test_decline_needs_a_reason_and_only_once(staff: dict[str, User], site: Site) -> None:
    from tests.outreach.factories import ReferralFactory

    referral = ReferralFactory(site=site)
    with pytest.raises(OutreachError):
        referrals.referral_decline(by=staff["accueil"], referral=referral, reason="  ")
    referrals.referral_decline(by=staff["accueil"], referral=referral, reason="Hors secteur")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED and referral.outcome == "Hors secteur"
    with pytest.raises(OutreachError) as caught:
        referrals.referral_decline(by=staff["accueil"], referral=referral, reason="Encore")
    assert "déjà « refusée »" in caught.value.errors["reason"][0]


def test_followups_due_by_date(site: Site, staff: dict[str, User]) -> None:
    mediator = staff["mediation"]
    today = timezone.localdate()
    overdue = SessionFactory(
        mediator=mediator,
        place__site=site,
        held_on=today - datetime.timedelta(days=10),
        followup_on=today - datetime.timedelta(days=2),
    )
    due_today = SessionFactory(mediator=mediator, place__site=site, followup_on=today)
    in_week = SessionFactory(
        mediator=mediator, place__site=site, followup_on=today + datetime.timedelta(days=7)
    )
    SessionFactory(
        mediator=mediator, place__site=site, followup_on=today + datetime.timedelta(days=8)
    )
    done = SessionFactory(mediator=mediator, place__site=site, followup_on=today)
    sessions.session_followup_done(by=mediator, session=done)
    SessionFactory(place__site=site, followup_on=today)  # another mediator's

    mine = list(selectors.followups_due(on=today, mediator=mediator))
    assert mine == [overdue, due_today, in_week]
    assert len(selectors.followups_due(on=today)) == 4
    with pytest.raises(OutreachError):
        sessions.session_followup_done(by=mediator, session=done)


def test_file_steps_and_days_to_decision(staff: dict[str, User]) -> None:
    mediator = staff["mediation"]
    file = FileFactory(mediator=mediator, opened_on=datetime.date(2026, 9, 1))
    with pytest.raises(OutreachError) as caught:
        files.file_advance(
            by=mediator,
            file=file,
            step="decided",
            on=datetime.date(2026, 10, 1),
            decision="accorde",
            effective_from=datetime.date(2026, 9, 1),
        )
    assert caught.value.errors[""][0].startswith("Impossible de noter la décision")
    files.file_advance(by=mediator, file=file, step="documents", on=datetime.date(2026, 9, 8))
    files.file_advance(
        by=mediator, file=file, step="filed", on=datetime.date(2026, 9, 10), how="courrier"
    )
    with pytest.raises(OutreachError):
        files.file_advance(
            by=mediator,
            file=file,
            step="decided",
            on=datetime.date(2026, 9, 9),
            decision="accorde",
            effective_from=datetime.date(2026, 9, 1),
        )
    file = files.file_advance(
        by=mediator,
        file=file,
        step="decided",
        on=datetime.date(2026, 10, 12),
        decision="accorde",
        effective_from=datetime.date(2026, 9, 10),
    )
    assert file.status == FileStatus.DECIDED and file.days_to_decision == 32
    assert not RightsFile.objects.open().exists()
    assert AuditEntry.objects.filter(object_type="outreach.rightsfile").count() == 3


def test_session_can_open_a_file_and_consent_is_recorded(
    permanence: Permanence, staff: dict[str, User]
) -> None:
    session = sessions.session_log(
        by=staff["mediation"],
        data=_input(
            permanence,
            actions=["dossier_rempli", "appel_organisme"],
            consent_on=timezone.localdate(),
            consent_scope="Appel à la CPAM pour la C2S",
            open_file_kind="c2s",
            outcome="depose",
        ),
        anonymous=sessions.AnonymousPerson(sex="F"),
    )
    assert session.file is not None and session.file.kind == "c2s"
    assert session.consent_scope == "Appel à la CPAM pour la C2S"
    assert list(selectors.open_files(mediator=staff["mediation"])) == [session.file]


def test_collective_action_named_attendees_cannot_exceed_count(
    site: Site, staff: dict[str, User]
) -> None:
    place = PlaceFactory(site=site)
    patients = [PatientFactory(), PatientFactory()]
    with pytest.raises(OutreachError) as caught:
        collective_actions.collective_action_create(
            by=staff["mediation"],
            kind="cafe_sante",
            title="Café Santé",
            place=place,
            held_on=TODAY,
            participants_count=1,
            attendees=patients,
        )
    assert "attendees" in caught.value.errors
    action = collective_actions.collective_action_create(
        by=staff["mediation"],
        kind="depistage",
        title="Dépistage visuel",
        place=place,
        held_on=TODAY,
        participants_count=14,
        attendees=patients,
        themes=["vue"],
        cls_action="Axe 2 — fiche 2.3",
    )
    assert action.attendees.count() == 2 and action.site == site
