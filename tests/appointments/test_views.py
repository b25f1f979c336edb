"""Pages: day view (query count pinned), booking from the UI, transitions, role scoping,
the practitioner's agenda, the day sheet PDF and the ICS feed."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments import selectors
from appointments.models import Appointment, CalendarFeed, Status
from appointments.services import waiting_list
from centre.models import AuditEntry, Site, User
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    appointment,
    open_plages,
    paris,
    practitioner,
    weekly,
)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2030, 3, 4)  # a Monday


def _fill(site: Site, staff: dict[str, User], per_practitioner: int, practitioners: int) -> None:
    for _ in range(practitioners):
        profile = practitioner(site=site)
        weekly(profile, site, 0, "08:00", "19:00")
        for i in range(per_practitioner):
            appointment(
                practitioner=profile,
                site=site,
                start=paris(2030, 3, 4, 8) + datetime.timedelta(minutes=20 * i),
                booked_by=staff["accueil"],
            )


@pytest.mark.parametrize(("count", "practitioners"), [(1, 1), (12, 4)])
def test_day_view_runs_a_fixed_number_of_queries(
    count: int,
    practitioners: int,
    site: Site,
    staff: dict[str, User],
    client_for: Callable[[str | None], Client],
    django_assert_max_num_queries: Any,
) -> None:
    _fill(site, staff, count, practitioners)
    client = client_for("accueil")
    url = f"{reverse('appointments:day')}?site={site.pk}&date={DAY.isoformat()}"
    # session, user, groups, the site, the grid's five reads (weekly plages, one-off plages,
    # appointments with patient, type, practitioner and site joined, practitioners,
    # absences), the select lists of the filter form (sites twice, types), the journal entry
    # naming the appointments shown, the site's plages for the next working day (weekly,
    # one-off) and the session save (SESSION_SAVE_EVERY_REQUEST): 18 whatever the number of
    # practitioners and appointments.
    with django_assert_max_num_queries(18):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["columns"]) == practitioners
    assert sum(len(c.appointments) for c in response.context["columns"]) == count * practitioners
    ctype = ConsultationTypeFactory()
    # With a motif, one more read (the motif): its bookable slots come from the same rows.
    with django_assert_max_num_queries(19):
        response = client.get(f"{url}&type={ctype.pk}")
    slots = sum(1 for c in response.context["columns"] for b in c.blocks if b.kind == "slot")
    assert slots == practitioners * (33 - count)  # 8:00–19:00 = 33 slots of 20 minutes


def test_day_view_shows_blocks_and_free_slots(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    profile = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(profile, site, 0, "09:00", "10:00")
    patient = PatientFactory(last_name="Durand", first_name="Léa")
    a = appointment(
        practitioner=profile,
        site=site,
        start=paris(2030, 3, 4, 9),
        booked_by=staff["accueil"],
        patient=patient,
    )
    a.interpreter_language = "arabe"
    a.save()
    ctype = ConsultationTypeFactory()
    response = client_for("accueil").get(
        reverse("appointments:day"), {"site": site.pk, "date": DAY.isoformat(), "type": ctype.pk}
    )
    html = response.content.decode()
    assert "lundi 4 mars 2030" in html
    assert "DURAND Léa" in html
    assert "Interprète : arabe" in html
    assert "Claire Moreau" in html
    assert html.count("Libre ") == 2  # 9:20 and 9:40
    assert "Libre 09:20" in html


def test_htmx_day_view_returns_the_grid_only(
    site: Site, client_for: Callable[[str | None], Client], staff: dict[str, User]
) -> None:
    response = client_for("accueil").get(
        reverse("appointments:day"),
        {"site": site.pk, "date": DAY.isoformat()},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode()


def test_reception_books_from_the_form(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    profile = practitioner(site=site)
    open_plages(profile, site)
    patient = PatientFactory()
    ctype = ConsultationTypeFactory()
    data = {
        "patient": patient.pk,
        "consultation_type": ctype.pk,
        "practitioner": profile.pk,
        "site": site.pk,
        "date": "2030-03-04",
        "time": "09:20",
        "interpreter_language": "",
        "note": "",
    }
    client = client_for("accueil")
    response = client.post(reverse("appointments:book"), data, follow=True)
    booked = Appointment.objects.get()
    assert booked.start == paris(2030, 3, 4, 9, 20)
    assert "Rendez-vous pris pour" in response.content.decode()
    assert "lundi 4 mars 2030 à 09:20" in response.content.decode()
    # Same slot again, another patient: the form says so, nothing is saved, no 500.
    data["patient"] = PatientFactory().pk
    response = client.post(reverse("appointments:book"), data)
    assert response.status_code == 200
    assert "Ce créneau vient d&#x27;être pris" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_booking_form_errors_are_in_french(
    site: Site, client_for: Callable[[str | None], Client]
) -> None:
    response = client_for("accueil").post(reverse("appointments:book"), {"site": site.pk})
    html = response.content.decode()
    assert "Choisissez un·e patient·e dans la recherche." in html
    assert "Ce champ est obligatoire." in html


@pytest.mark.usefixtures("daytime")
def test_practitioner_marks_own_appointment_but_not_others(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    start = timezone.now() - datetime.timedelta(minutes=10)
    own = appointment(
        practitioner=staff["soignant"].profile, site=site, start=start, booked_by=staff["accueil"]
    )
    other = appointment(
        practitioner=practitioner(site=site), site=site, start=start, booked_by=staff["accueil"]
    )
    client = client_for("soignant")
    client.post(reverse("appointments:seen", args=[own.pk]))
    own.refresh_from_db()
    assert own.status == Status.SEEN
    assert client.post(reverse("appointments:seen", args=[other.pk])).status_code == 404
    assert client.get(reverse("appointments:detail", args=[other.pk])).status_code == 404
    assert client.post(reverse("appointments:no_show", args=[own.pk])).status_code == 403


def test_invalid_transition_shows_a_message(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    a = appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=paris(2030, 1, 7),
        booked_by=staff["accueil"],
    )
    response = client_for("accueil").post(reverse("appointments:no_show", args=[a.pk]), follow=True)
    assert (
        "Une absence ne peut être notée qu&#x27;après l&#x27;heure du rendez-vous."
        in response.content.decode()
    )
    a.refresh_from_db()
    assert a.status == Status.BOOKED


def test_cancel_then_waiting_list_candidates_shown(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    ctype = ConsultationTypeFactory()
    waiting = waiting_list.waiting_list_add(
        patient=PatientFactory(last_name="Attente"),
        consultation_type=ctype,
        by=staff["accueil"],
    )
    a = appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=paris(2030, 1, 7),
        booked_by=staff["accueil"],
        consultation_type=ctype,
    )
    client = client_for("accueil")
    response = client.post(
        reverse("appointments:cancel", args=[a.pk]),
        {"by_patient": "1", "reason": "Travail"},
        follow=True,
    )
    a.refresh_from_db()
    assert a.status == Status.EXCUSED
    assert "ATTENTE" in response.content.decode().upper()
    assert f"?patient={waiting.patient_id}" in response.content.decode()


def test_soignant_home_shows_today(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(minutes=1)
    if timezone.localtime(start).date() != timezone.localdate():
        pytest.skip("minuit : pas de rendez-vous plus tard aujourd'hui")
    appointment(
        practitioner=staff["soignant"].profile,
        site=site,
        start=start,
        booked_by=staff["accueil"],
        patient=PatientFactory(last_name="Dujour"),
    )
    client = client_for("soignant")
    assert reverse("appointments:my_today") in client.get(reverse("home_soignant")).content.decode()
    assert "DUJOUR" in client.get(reverse("appointments:my_today")).content.decode()


def test_to_fill_in_page(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=paris(2025, 1, 6),
        booked_by=staff["accueil"],
        patient=PatientFactory(last_name="Oubli"),
    )
    response = client_for("accueil").get(reverse("appointments:to_fill_in"))
    assert "OUBLI" in response.content.decode()


def test_day_sheet_is_a_pdf_one_page_per_practitioner(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    from appointments.day_sheet import render_day_sheet

    for _ in range(2):
        appointment(
            practitioner=practitioner(site=site),
            site=site,
            start=paris(2030, 3, 4, 9),
            booked_by=staff["accueil"],
        )
    response = client_for("accueil").get(
        reverse("appointments:day_sheet"), {"site": site.pk, "date": "2030-03-04"}
    )
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert len(render_day_sheet(by=staff["accueil"], site=site, day=DAY).pages) == 2


def test_day_sheet_defaults_to_the_next_working_day(
    site: Site, client_for: Callable[[str | None], Client]
) -> None:
    response = client_for("accueil").get(reverse("appointments:day_sheet"), {"site": site.pk})
    tomorrow = selectors.next_working_day(site, timezone.localdate())
    assert f"rendez-vous-{tomorrow.isoformat()}.pdf" in response["Content-Disposition"]


def test_ics_feed_with_token_and_revocation(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    profile = staff["soignant"].profile
    appointment(
        practitioner=profile,
        site=site,
        start=timezone.now() + datetime.timedelta(days=2),
        booked_by=staff["accueil"],
        patient=PatientFactory(last_name="Secret"),
    )
    client = client_for("soignant")
    client.post(reverse("appointments:calendar_feed"), {"action": "renew"})
    feed = CalendarFeed.objects.get(revoked_at__isnull=True)
    anonymous = Client()
    response = anonymous.get(reverse("appointments:ics", args=[feed.token]))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n")
    assert "SUMMARY:Consultation de médecine générale" in body
    assert "Secret" not in body  # no patient name in a calendar URL
    assert body.count("BEGIN:VEVENT") == 1
    # Renewing revokes the old URL at once.
    client.post(reverse("appointments:calendar_feed"), {"action": "renew"})
    assert anonymous.get(reverse("appointments:ics", args=[feed.token])).status_code == 404
    new = CalendarFeed.objects.get(revoked_at__isnull=True)
    client.post(reverse("appointments:calendar_feed"), {"action": "revoke"})
    assert anonymous.get(reverse("appointments:ics", args=[new.token])).status_code == 404
    assert AuditEntry.objects.filter(action__startswith="calendar_feed.").count() == 3


def test_ics_bad_token_is_404(db: None) -> None:
    response = Client().get(reverse("appointments:ics", args=["pas-un-jeton"]))
    assert response.status_code == 404


def test_next_free_slot_with_a_woman_in_the_morning(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    man = practitioner(site=site)
    man.sex = "M"
    man.save()
    woman = practitioner(site=site, last_name="Femme")
    woman.sex = "F"
    woman.save()
    for profile in (man, woman):
        weekly(profile, site, 2, "14:00", "18:00", valid_from=timezone.localdate())
        weekly(profile, site, 3, "09:00", "12:00", valid_from=timezone.localdate())
    ctype = ConsultationTypeFactory()
    response = client_for("accueil").get(
        reverse("appointments:next_slot"),
        {"type": ctype.pk, "women_only": "on", "morning_only": "on"},
    )
    slot = response.context["slot"]
    assert slot.practitioner_id == woman.pk
    assert timezone.localtime(slot.start).weekday() == 3
    assert timezone.localtime(slot.start).hour == 9


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("accueil", "appointments:day"),
        ("direction", "appointments:day"),
        ("soignant", "appointments:my_agenda"),
    ],
)
def test_the_agenda_root_sends_each_role_to_its_agenda(
    role: str, target: str, client_for: Callable[[str | None], Client]
) -> None:
    response = client_for(role).get("/rendez-vous/")
    assert response.status_code == 302
    assert response["Location"] == reverse(target)
