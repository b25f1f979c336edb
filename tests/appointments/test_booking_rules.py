"""Booking rules in the booking service (docs/appointments.md, « Règles de prise de
rendez-vous »): inside an opening plage, outside absences, not on a public holiday of the
site's calendar (Code du travail art. L3133-1; Alsace-Moselle art. L3134-13), unless reception
or direction forces it with a reason. The same for moves and walk-ins, through every door."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from appointments.models import Absence, AbsenceReason, Appointment, ConsultationType
from appointments.services import booking, moves, walk_ins
from appointments.slots import Rule
from centre.models import AuditEntry, HolidaySubdivision, Site, StaffProfile, User
from centre.refusals import Forbidden
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    open_plages,
    paris,
    practitioner,
    weekly,
)

pytestmark = pytest.mark.django_db

MONDAY = paris(2030, 3, 4, 9)  # inside the Monday plage 9:00–12:00 below
CHRISTMAS = paris(2030, 12, 25, 10)  # a Wednesday
SAINT_STEPHEN = paris(2030, 12, 26, 10)  # a Thursday
GOOD_FRIDAY = paris(2030, 4, 19, 10)


@pytest.fixture
def ctype() -> ConsultationType:
    return ConsultationTypeFactory()


@pytest.fixture
def doctor(site: Site) -> StaffProfile:
    """Open Monday to Saturday 8:00–20:00 at `site`."""
    profile = practitioner(site=site)
    open_plages(profile, site)
    return profile


def _book(
    doctor: StaffProfile,
    site: Site,
    ctype: ConsultationType,
    by: User,
    start: datetime.datetime,
    force_reason: str = "",
) -> Appointment:
    return booking.appointment_book(
        patient=PatientFactory(),
        practitioner=doctor,
        consultation_type=ctype,
        site=site,
        start=start,
        by=by,
        force_reason=force_reason,
    )


def _refused_rules(error: pytest.ExceptionInfo[booking.BookingError]) -> list[str]:
    assert isinstance(error.value, booking.RuleRefused)
    return list(error.value.details["rules"])


# --- the service ---------------------------------------------------------------------------


def test_inside_a_plage_books_without_forcing(
    doctor: StaffProfile, site: Site, ctype: ConsultationType, staff: dict[str, User]
) -> None:
    booked = _book(doctor, site, ctype, staff["accueil"], MONDAY)
    assert (booked.forced_reason, booked.forced_rules) == ("", [])


def test_outside_a_plage_is_refused_and_nothing_is_saved(
    site: Site, ctype: ConsultationType, staff: dict[str, User]
) -> None:
    profile = practitioner(site=site)
    weekly(profile, site, 0, "09:00", "12:00")  # Mondays 9:00–12:00
    with pytest.raises(booking.BookingError) as refused:
        _book(profile, site, ctype, staff["accueil"], paris(2030, 3, 4, 3))  # 3:00
    assert _refused_rules(refused) == [Rule.OUTSIDE_PLAGE]
    assert "en dehors des plages d'ouverture" in refused.value.message
    # Overlapping the end of the plage (11:50–12:10) is outside too.
    with pytest.raises(booking.BookingError):
        _book(profile, site, ctype, staff["accueil"], paris(2030, 3, 4, 11, 50))
    # The plage is at `site`: the same hours at another site are outside.
    other = Site.objects.create(centre=site.centre, name="Antenne", address="2 rue B")
    with pytest.raises(booking.BookingError):
        _book(profile, other, ctype, staff["accueil"], MONDAY)
    assert not Appointment.objects.exists()
    assert not AuditEntry.objects.filter(action="appointment.book").exists()


def test_during_an_absence_is_refused(
    doctor: StaffProfile, site: Site, ctype: ConsultationType, staff: dict[str, User]
) -> None:
    Absence.objects.create(
        practitioner=doctor,
        start=paris(2030, 3, 4, 8),
        end=paris(2030, 3, 4, 10),
        reason=AbsenceReason.TRAINING,
    )
    with pytest.raises(booking.BookingError) as refused:
        _book(doctor, site, ctype, staff["accueil"], paris(2030, 3, 4, 9, 50))  # ends 10:10
    assert _refused_rules(refused) == [Rule.ABSENCE]
    assert "absent·e" in refused.value.message
    # Right after the absence: accepted.
    assert _book(doctor, site, ctype, staff["accueil"], paris(2030, 3, 4, 10)).pk


def test_on_christmas_day_is_refused_for_every_calendar(
    doctor: StaffProfile, site: Site, ctype: ConsultationType, staff: dict[str, User]
) -> None:
    with pytest.raises(booking.BookingError) as refused:
        _book(doctor, site, ctype, staff["accueil"], CHRISTMAS)
    assert _refused_rules(refused) == [Rule.PUBLIC_HOLIDAY]
    assert "Noël (25/12/2030)" in refused.value.message
    # 3:00 on 25 December (the booking): a holiday and outside every plage.
    with pytest.raises(booking.BookingError) as refused:
        _book(doctor, site, ctype, staff["accueil"], paris(2030, 12, 25, 3))
    assert _refused_rules(refused) == [Rule.PUBLIC_HOLIDAY, Rule.OUTSIDE_PLAGE]


@pytest.mark.parametrize(
    ("subdivision", "start", "refused"),
    [
        (HolidaySubdivision.MOSELLE, SAINT_STEPHEN, True),
        (HolidaySubdivision.ALSACE, SAINT_STEPHEN, True),
        (HolidaySubdivision.MOSELLE, GOOD_FRIDAY, True),
        # In metropolitan France 26 December and Good Friday are ordinary days.
        (HolidaySubdivision.METROPOLITAN, SAINT_STEPHEN, False),
        (HolidaySubdivision.METROPOLITAN, GOOD_FRIDAY, False),
        # Abolition of slavery: 27 May in Guadeloupe, 20 December in La Réunion.
        (HolidaySubdivision.GUADELOUPE, paris(2030, 5, 27, 10), True),
        (HolidaySubdivision.METROPOLITAN, paris(2030, 5, 27, 10), False),
        (HolidaySubdivision.REUNION, paris(2030, 12, 20, 10), True),
    ],
)
def test_the_site_calendar_decides_the_holidays(
    subdivision: str,
    start: datetime.datetime,
    refused: bool,
    doctor: StaffProfile,
    site: Site,
    ctype: ConsultationType,
    staff: dict[str, User],
) -> None:
    site.holiday_subdivision = subdivision
    site.save()
    if refused:
        with pytest.raises(booking.BookingError) as error:
            _book(doctor, site, ctype, staff["accueil"], start)
        assert _refused_rules(error) == [Rule.PUBLIC_HOLIDAY]
    else:
        assert _book(doctor, site, ctype, staff["accueil"], start).forced_rules == []


def test_a_plage_open_on_holidays_or_a_one_off_plage_opens_the_day(
    site: Site, ctype: ConsultationType, staff: dict[str, User]
) -> None:
    profile = practitioner(site=site)
    weekly(profile, site, 2, "09:00", "12:00", open_on_public_holidays=True)  # Wednesdays
    assert _book(profile, site, ctype, staff["accueil"], CHRISTMAS).forced_rules == []


@pytest.mark.parametrize("role", ["accueil", "direction"])
def test_reception_and_direction_force_with_a_reason_journaled(
    role: str, doctor: StaffProfile, site: Site, ctype: ConsultationType, staff: dict[str, User]
) -> None:
    site.holiday_subdivision = HolidaySubdivision.MOSELLE
    site.save()
    booked = _book(doctor, site, ctype, staff[role], SAINT_STEPHEN, "  Urgence  sociale ")
    assert booked.forced_reason == "Urgence sociale"
    assert booked.forced_rules == [Rule.PUBLIC_HOLIDAY]
    assert booked.forced_label == "Jour férié"
    entry = AuditEntry.objects.get(action="appointment.book")
    assert entry.actor == staff[role]
    assert entry.changes["forced_reason"] == "Urgence sociale"
    assert entry.changes["forced_rules"] == ["jour_ferie"]


@pytest.mark.parametrize("role", ["soignant", "mediation", "facturation"])
def test_other_roles_cannot_force(
    role: str, doctor: StaffProfile, site: Site, ctype: ConsultationType, staff: dict[str, User]
) -> None:
    with pytest.raises(Forbidden):
        _book(doctor, site, ctype, staff[role], CHRISTMAS, "je veux")
    # Without a reason they get the rule's refusal, which tells them who may force.
    with pytest.raises(booking.BookingError) as refused:
        _book(doctor, site, ctype, staff[role], CHRISTMAS)
    assert "Seuls l'accueil et la direction peuvent le forcer" in refused.value.message
    assert not Appointment.objects.exists()


def test_a_reason_given_for_a_booking_inside_the_rules_is_not_stored(
    doctor: StaffProfile, site: Site, ctype: ConsultationType, staff: dict[str, User]
) -> None:
    booked = _book(doctor, site, ctype, staff["accueil"], MONDAY, "au cas où")
    assert (booked.forced_reason, booked.forced_rules) == ("", [])


def test_a_move_follows_the_same_rules(
    doctor: StaffProfile, site: Site, ctype: ConsultationType, staff: dict[str, User]
) -> None:
    booked = _book(doctor, site, ctype, staff["accueil"], MONDAY)
    with pytest.raises(booking.BookingError) as refused:
        moves.appointment_move(appointment=booked, start=CHRISTMAS, by=staff["accueil"])
    assert _refused_rules(refused) == [Rule.PUBLIC_HOLIDAY]
    with pytest.raises(Forbidden):
        moves.appointment_move(
            appointment=booked, start=CHRISTMAS, by=staff["soignant"], force_reason="x"
        )
    booked.refresh_from_db()
    assert booked.start == MONDAY
    moved = moves.appointment_move(
        appointment=booked, start=CHRISTMAS, by=staff["accueil"], force_reason="Seul jour"
    )
    assert (moved.forced_reason, moved.forced_rules) == ("Seul jour", ["jour_ferie"])
    entry = AuditEntry.objects.get(action="appointment.move")
    assert entry.changes["forced_reason"] == ["", "Seul jour"]
    # Moved back inside the rules: the forcing is cleared.
    back = moves.appointment_move(appointment=moved, start=MONDAY, by=staff["accueil"])
    assert (back.forced_reason, back.forced_rules) == ("", [])


def test_a_walk_in_needs_no_plage_but_the_practitioner_present_on_a_working_day(
    site: Site, ctype: ConsultationType, staff: dict[str, User]
) -> None:
    profile = practitioner(site=site)  # no plage at all
    seen = walk_ins.appointment_record_walk_in(
        patient=PatientFactory(),
        practitioner=profile,
        consultation_type=ctype,
        site=site,
        start=paris(2030, 3, 4, 13),
        by=staff["accueil"],
    )
    assert seen.forced_rules == []
    Absence.objects.create(
        practitioner=profile,
        start=paris(2030, 3, 5, 0),
        end=paris(2030, 3, 6, 0),
        reason=AbsenceReason.SICKNESS,
    )
    for start, rule in ((paris(2030, 3, 5, 10), Rule.ABSENCE), (CHRISTMAS, Rule.PUBLIC_HOLIDAY)):
        with pytest.raises(booking.BookingError) as refused:
            walk_ins.appointment_record_walk_in(
                patient=PatientFactory(),
                practitioner=profile,
                consultation_type=ctype,
                site=site,
                start=start,
                by=staff["accueil"],
            )
        assert _refused_rules(refused) == [rule]
    with pytest.raises(Forbidden):
        walk_ins.appointment_record_walk_in(
            patient=PatientFactory(),
            practitioner=profile,
            consultation_type=ctype,
            site=site,
            start=CHRISTMAS,
            by=staff["mediation"],
            force_reason="x",
        )
    forced = walk_ins.appointment_record_walk_in(
        patient=PatientFactory(),
        practitioner=profile,
        consultation_type=ctype,
        site=site,
        start=CHRISTMAS,
        by=staff["direction"],
        force_reason="Permanence de Noël",
    )
    assert forced.forced_rules == ["jour_ferie"]
    entry = AuditEntry.objects.get(action="appointment.walk_in", object_id=str(forced.pk))
    assert entry.changes["forced_reason"] == "Permanence de Noël"


# --- the doors -----------------------------------------------------------------------------


def _payload(doctor: StaffProfile, site: Site, ctype: ConsultationType, **extra: str) -> dict:  # type: ignore[type-arg]
    return {
        "patient": PatientFactory().pk,
        "practitioner": doctor.pk,
        "consultation_type": ctype.pk,
        "site": site.pk,
        "start": "2030-12-25T03:00:00+01:00",
        **extra,
    }


def test_api_answers_400_with_the_rules_then_201_when_forced(
    doctor: StaffProfile,
    site: Site,
    ctype: ConsultationType,
    client_for: Callable[[str | None], Client],
) -> None:
    client = client_for("accueil")
    url = reverse("api:appointments")
    response = client.post(url, _payload(doctor, site, ctype), content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["rules"] == ["jour_ferie", "hors_plage"]
    assert "Noël" in body["start"][0]
    assert not Appointment.objects.exists()
    response = client.post(
        url,
        _payload(doctor, site, ctype, force_reason="Accouchement imminent"),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["forced_reason"] == "Accouchement imminent"
    assert response.json()["forced_rules"] == ["jour_ferie", "hors_plage"]
    entry = AuditEntry.objects.get(action="appointment.book")
    assert entry.changes["forced_rules"] == ["jour_ferie", "hors_plage"]


def test_api_forcing_by_a_role_without_the_right_is_403(
    doctor: StaffProfile,
    site: Site,
    ctype: ConsultationType,
    client_for: Callable[[str | None], Client],
) -> None:
    # Practitioners and mediation do not book through the API at all (403 before the rules).
    for role in ("soignant", "mediation"):
        response = client_for(role).post(
            reverse("api:appointments"),
            _payload(doctor, site, ctype, force_reason="x"),
            content_type="application/json",
        )
        assert response.status_code == 403
    assert not Appointment.objects.exists()


def _form(doctor: StaffProfile, site: Site, ctype: ConsultationType, **extra: str) -> dict:  # type: ignore[type-arg]
    return {
        "patient": PatientFactory().pk,
        "consultation_type": ctype.pk,
        "practitioner": doctor.pk,
        "site": site.pk,
        "date": "2030-12-26",
        "time": "10:00",
        "interpreter_language": "",
        "note": "",
        **extra,
    }


def test_page_refuses_offers_forcing_and_the_agenda_shows_the_badge(
    doctor: StaffProfile,
    site: Site,
    ctype: ConsultationType,
    client_for: Callable[[str | None], Client],
) -> None:
    site.holiday_subdivision = HolidaySubdivision.MOSELLE
    site.save()
    client = client_for("accueil")
    response = client.post(reverse("appointments:book"), _form(doctor, site, ctype))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Saint-Étienne (26/12/2030)" in page
    assert "Forcer (motif obligatoire)" in page
    assert not Appointment.objects.exists()
    response = client.post(
        reverse("appointments:book"),
        _form(doctor, site, ctype, force_reason="Suivi post-opératoire"),
        follow=True,
    )
    assert "Rendez-vous pris pour" in response.content.decode()
    booked = Appointment.objects.get()
    assert booked.forced_reason == "Suivi post-opératoire"
    day = client.get(reverse("appointments:day"), {"site": site.pk, "date": "2030-12-26"})
    assert "Jour férié : Suivi post-opératoire" in day.content.decode()
    week = client.get(reverse("appointments:week", args=[doctor.pk]), {"date": "2030-12-26"})
    assert "Jour férié : Suivi post-opératoire" in week.content.decode()


def test_page_without_a_refusal_does_not_offer_forcing(
    doctor: StaffProfile,
    site: Site,
    client_for: Callable[[str | None], Client],
) -> None:
    page = client_for("accueil").get(reverse("appointments:book")).content.decode()
    assert "Forcer (motif obligatoire)" not in page


def test_move_and_walk_in_pages_offer_forcing(
    doctor: StaffProfile,
    site: Site,
    ctype: ConsultationType,
    staff: dict[str, User],
    client_for: Callable[[str | None], Client],
) -> None:
    booked = _book(doctor, site, ctype, staff["accueil"], MONDAY)
    client = client_for("accueil")
    url = reverse("appointments:move", args=[booked.pk])
    data = {"practitioner": doctor.pk, "site": site.pk, "date": "2030-12-25", "time": "10:00"}
    response = client.post(url, data)
    assert "Noël (25/12/2030)" in response.content.decode()
    assert "Forcer (motif obligatoire)" in response.content.decode()
    booked.refresh_from_db()
    assert booked.start == MONDAY
    response = client.post(url, {**data, "force_reason": "Demande de la patiente"})
    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.start, booked.forced_reason) == (CHRISTMAS, "Demande de la patiente")

    Absence.objects.create(
        practitioner=doctor,
        start=paris(2020, 1, 1, 0),
        end=paris(2040, 1, 1, 0),
        reason=AbsenceReason.OTHER,
    )
    walk_in = {
        "patient": PatientFactory().pk,
        "consultation_type": ctype.pk,
        "practitioner": doctor.pk,
        "site": site.pk,
    }
    response = client.post(reverse("appointments:walk_in"), walk_in)
    assert "absent·e" in response.content.decode()
    assert "Forcer (motif obligatoire)" in response.content.decode()
    response = client.post(
        reverse("appointments:walk_in"), {**walk_in, "force_reason": "Vue entre deux"}
    )
    assert response.status_code == 302
    assert Appointment.objects.get(is_walk_in=True).forced_rules == ["absence"]
