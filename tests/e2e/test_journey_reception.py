"""Journey (1): reception registers a new patient, is warned of a likely duplicate, books an
appointment and marks the arrival — once with the mouse, once with the keyboard only.

Spans patients and appointments (the duplicate warning alone is in test_patients_intake.py,
booking from the day view alone in test_appointments_booking.py).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from appointments.models import Appointment, Status
from appointments.selectors import next_working_day
from appointments.templatetags.appointments_tags import fr_date
from centre.models import Site, User
from patients.models import Patient
from tests.appointments.factories import (
    ConsultationTypeFactory,
    appointment,
    open_plages,
    practitioner,
    weekly,
)
from tests.e2e.conftest import htmx_ready, login, screenshot
from tests.patients.factories import PatientFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting(site: Site) -> dict[str, Any]:
    """The practitioner consults 09:00–10:00 every working day (and today, whatever the day):
    reception books on the next working day; an arrival is only noted on the appointment's
    own day (appointments.services.statuses.check_arrival), so the arrival is that of the
    patient's appointment of today."""
    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    open_plages(doctor, site, start="09:00", end="10:00", weekdays=(0, 1, 2, 3, 4))
    today = timezone.localdate()
    if today.weekday() > 4:
        weekly(doctor, site, today.weekday(), "09:00", "10:00")
    existing = PatientFactory(
        last_name="Dupont", first_name="Hélène", birth_date=datetime.date(1984, 3, 12)
    )
    return {
        "doctor": doctor,
        "ctype": ConsultationTypeFactory(),
        "existing": existing,
        "today": today,
        "day": next_working_day(site, today),
    }


def _appointment_of_today(
    setting: dict[str, Any], site: Site, patient: Patient, by: User
) -> Appointment:
    """The patient's appointment of today (booked earlier, by phone), started a little ago."""
    now = timezone.localtime().replace(second=0, microsecond=0)
    midnight = now.replace(hour=0, minute=0)
    start = max(midnight, now - datetime.timedelta(minutes=20))
    return appointment(
        practitioner=setting["doctor"],
        site=site,
        start=start,
        booked_by=by,
        patient=patient,
        consultation_type=setting["ctype"],
        minutes=10,
    )


def _csp_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


@pytest.mark.usefixtures("daytime")  # an appointment of today
def test_reception_registers_detects_the_duplicate_books_and_marks_the_arrival(
    page: Page, live_server: Any, site: Site, staff: dict[str, User], setting: dict[str, Any]
) -> None:
    errors = _csp_errors(page)
    login(page, live_server, staff["accueil"])
    expect(page).to_have_url(f"{live_server.url}/accueil/")

    # Register: the likely duplicate shows before anything is saved.
    page.get_by_role("link", name="Nouveau patient").click()
    page.get_by_label("Nom d'usage").fill("DUPONT")
    page.get_by_label("Prénom(s)").fill("Helene")
    page.get_by_label("Femme").check()
    page.get_by_label("Date de naissance").fill("1984-03-12")
    page.get_by_role("button", name="Enregistrer le dossier").click()
    expect(page.locator("#duplicate-candidates")).to_contain_text("DUPONT Hélène")
    assert Patient.objects.count() == 1
    screenshot(page, "journey1-duplicate")
    page.get_by_label("J'ai vérifié : ce n'est aucune des personnes ci-dessus").check()
    page.get_by_role("button", name="Enregistrer le dossier").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DUPONT Helene")
    new = Patient.objects.exclude(pk=setting["existing"].pk).get()

    # Book from the day grid, in the first free slot: the booking panel opens in place.
    ctype, day = setting["ctype"], setting["day"]
    page.goto(
        f"{live_server.url}/rendez-vous/jour/?site={site.pk}&date={day:%Y-%m-%d}&type={ctype.pk}"
    )
    page.get_by_role("link", name="Libre 09:00 avec Claire Moreau : réserver").click()
    panel = page.locator("#book-panel")
    expect(panel.get_by_role("heading", name="Nouveau rendez-vous")).to_be_visible()
    htmx_ready(page, "#patient-search")
    panel.get_by_label("Rechercher le·la patient·e").fill("dupont helene")
    panel.get_by_label(f"DUPONT Helene — né·e le {new.birth_date:%d/%m/%Y}", exact=False).check()
    panel.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(panel.locator(".message-success")).to_contain_text(f"{fr_date(day)} à 09:00")
    expect(page.locator(".tgrid-col").filter(has_text="Claire Moreau")).to_contain_text(
        "DUPONT Helene"
    )
    screenshot(page, "journey1-booked")
    booked = Appointment.objects.get(patient=new)
    assert timezone.localtime(booked.start).date() == day
    assert booked.practitioner == setting["doctor"]

    # The patient arrives for their appointment of today: one click in today's grid.
    today = _appointment_of_today(setting, site, new, staff["accueil"])
    page.goto(
        f"{live_server.url}/rendez-vous/jour/?site={site.pk}&date={setting['today']:%Y-%m-%d}"
    )
    block = page.locator(".blk.appt").filter(has_text="DUPONT Helene")
    block.get_by_role("button", name="Arrivé·e").click()
    expect(page.locator(".blk.appt").filter(has_text="DUPONT Helene")).to_contain_text(
        "En salle d'attente"
    )
    screenshot(page, "journey1-arrived")
    today.refresh_from_db()
    assert today.status == Status.ARRIVED
    assert today.practitioner == setting["doctor"]
    assert not [e for e in errors if "Content Security Policy" in e], errors


# --- the same journey with the keyboard only -------------------------------------------------


def _tab_to(page: Page, target: Locator, *, limit: int = 80) -> None:
    """Press Tab until `target` has the focus (fails if the keyboard cannot reach it)."""
    handle = target.element_handle()
    assert handle is not None
    for _ in range(limit):
        if page.evaluate("(el) => document.activeElement === el", handle):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} n'est pas atteignable au clavier")


def _type_into(page: Page, target: Locator, text: str) -> None:
    _tab_to(page, target)
    page.keyboard.type(text)


def _type_date(page: Page, target: Locator, day: datetime.date) -> None:
    """Chromium orders the segments of a date field by its own locale (day first in French,
    month first otherwise): type day first, and retype month first if that is what it took."""
    _type_into(page, target, f"{day:%d%m%Y}")
    if target.input_value() != day.isoformat():
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        _type_into(page, target, f"{day:%m%d%Y}")
    assert target.input_value() == day.isoformat()


@pytest.mark.usefixtures("daytime")  # an appointment of today
def test_the_reception_journey_works_with_the_keyboard_only(
    page: Page, live_server: Any, site: Site, staff: dict[str, User], setting: dict[str, Any]
) -> None:
    login(page, live_server, staff["accueil"])
    expect(page).to_have_url(f"{live_server.url}/accueil/")

    _tab_to(page, page.get_by_role("link", name="Nouveau patient"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _type_into(page, page.get_by_label("Nom d'usage"), "Dupont")
    _type_into(page, page.get_by_label("Prénom(s)"), "Helene")
    _tab_to(page, page.locator("input[name=sex]").first)
    page.keyboard.press("Space")  # the first choice of the radio group
    # Arrows move within the radio group until « Femme ».
    for _ in range(4):
        if page.get_by_label("Femme").is_checked():
            break
        page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Femme")).to_be_checked()
    _type_date(page, page.get_by_label("Date de naissance"), datetime.date(1984, 3, 12))
    _tab_to(page, page.get_by_role("button", name="Enregistrer le dossier"))
    page.keyboard.press("Enter")
    expect(page.locator("#duplicate-candidates")).to_contain_text("DUPONT Hélène")
    _tab_to(page, page.get_by_label("J'ai vérifié : ce n'est aucune des personnes ci-dessus"))
    page.keyboard.press("Space")
    _tab_to(page, page.get_by_role("button", name="Enregistrer le dossier"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("DUPONT Helene")
    new = Patient.objects.exclude(pk=setting["existing"].pk).get()
    screenshot(page, "journey1-keyboard-registered")

    ctype, day = setting["ctype"], setting["day"]
    page.goto(
        f"{live_server.url}/rendez-vous/jour/?site={site.pk}&date={day:%Y-%m-%d}&type={ctype.pk}"
    )
    # The grid is one tab stop (roving focus): Tab reaches the first free slot, ↓ the next.
    _tab_to(page, page.get_by_role("link", name="Libre 09:00 avec Claire Moreau : réserver"))
    page.keyboard.press("ArrowDown")
    expect(
        page.get_by_role("link", name="Libre 09:20 avec Claire Moreau : réserver")
    ).to_be_focused()
    page.keyboard.press("Enter")
    panel = page.locator("#book-panel")
    expect(panel.get_by_role("heading", name="Nouveau rendez-vous")).to_be_visible()
    expect(panel.get_by_label("Rechercher le·la patient·e")).to_be_focused()
    _type_into(page, panel.get_by_label("Rechercher le·la patient·e"), "dupont helene")
    choice = panel.get_by_label(f"DUPONT Helene — né·e le {new.birth_date:%d/%m/%Y}", exact=False)
    expect(choice).to_be_visible()
    _tab_to(page, choice)
    page.keyboard.press("Space")
    expect(choice).to_be_checked()
    _tab_to(page, panel.get_by_role("button", name="Confirmer le rendez-vous"))
    page.keyboard.press("Enter")
    expect(panel.locator(".message-success")).to_contain_text(f"{fr_date(day)} à 09:20")
    booked = Appointment.objects.get(patient=new)
    assert timezone.localtime(booked.start).date() == day

    # Arrival, on the day of the appointment: the patient's appointment of today.
    today = _appointment_of_today(setting, site, new, staff["accueil"])
    page.goto(
        f"{live_server.url}/rendez-vous/jour/?site={site.pk}&date={setting['today']:%Y-%m-%d}"
    )
    block = page.locator(".blk.appt").filter(has_text="DUPONT Helene")
    # In the grid, the keyboard selects the appointment and « a » notes the arrival.
    _tab_to(page, block.locator("[data-cell]"))
    page.keyboard.press("a")
    expect(page.locator(".blk.appt").filter(has_text="DUPONT Helene")).to_contain_text(
        "En salle d'attente"
    )
    screenshot(page, "journey1-keyboard-arrived")
    today.refresh_from_db()
    assert today.status == Status.ARRIVED
