"""Reception's time grid in a real browser (Playwright + Debian Chromium): booking by clicking
a free slot, moving by drag and by keyboard (a refused move snaps back with its French reason),
a walk-in through the waiting room, a keyboard-only morning with its keystrokes counted, and
axe on the grid."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from appointments.models import Absence, Appointment, Status
from centre.models import Site, User
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    appointment,
    paris,
    practitioner,
    weekly,
)
from tests.e2e.conftest import htmx_ready, login, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAY = datetime.date(2030, 3, 4)  # a Monday
AXE = Path(__file__).resolve().parent / ".node" / "node_modules" / "axe-core" / "axe.min.js"


def _csp_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(f"{msg.text} @ {msg.location}") if msg.type == "error" else None,
    )
    return errors


def test_grid_books_by_clicking_a_free_slot(
    page: Page, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(doctor, site, 0, "09:00", "12:00")
    ConsultationTypeFactory()
    PatientFactory(last_name="Benhamou", first_name="Yasmina")
    errors = _csp_errors(page)
    login(page, live_server, staff["accueil"])
    page.goto(f"{live_server.url}/rendez-vous/jour/?site={site.pk}&date={DAY.isoformat()}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("lundi 4 mars 2030")
    screenshot(page, "reception-grid-day")
    page.get_by_role("link", name="Libre 09:30 avec Claire Moreau : réserver").click()
    panel = page.locator("#book-panel")
    expect(panel).to_contain_text("lundi 4 mars 2030 à 09:30 avec Claire Moreau")
    htmx_ready(page, "#patient-search")
    page.get_by_label("Rechercher le·la patient·e").fill("benhamou")
    page.get_by_label("BENHAMOU Yasmina", exact=False).check()
    panel.get_by_label("Motif").select_option(label="Consultation de médecine générale")
    panel.get_by_label("Interprète (langue)").fill("pachto")
    panel.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(panel).to_contain_text("Rendez-vous pris pour BENHAMOU Yasmina")
    # The grid refreshed in place: the appointment sits at 09:30, the page did not change.
    block = page.locator(".tgrid .blk.appt", has_text="BENHAMOU Yasmina")
    expect(block).to_contain_text("09:30–09:50")
    expect(block).to_contain_text("Interprète : pachto")
    assert page.url.endswith(f"date={DAY.isoformat()}")
    booked = Appointment.objects.get()
    assert booked.start == paris(2030, 3, 4, 9, 30)
    screenshot(page, "reception-grid-booked")
    assert not [e for e in errors if "Content Security Policy" in e], errors


def _rows(page: Page) -> int:
    return int(page.locator(".tgrid-col .tgrid-fill").first.get_attribute("class").split("s-")[1])


def test_grid_moves_by_drag_and_by_keyboard_and_snaps_back_when_refused(
    page: Page, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(doctor, site, 0, "09:00", "12:00")
    Absence.objects.create(
        practitioner=doctor,
        start=paris(2030, 3, 4, 11),
        end=paris(2030, 3, 4, 12),
        reason="formation",
    )
    moved = appointment(
        practitioner=doctor,
        site=site,
        start=paris(2030, 3, 4, 9),
        booked_by=staff["accueil"],
        patient=PatientFactory(last_name="Traoré", first_name="Fanta"),
    )
    errors = _csp_errors(page)
    login(page, live_server, staff["accueil"])
    page.goto(f"{live_server.url}/rendez-vous/jour/?site={site.pk}&date={DAY.isoformat()}")
    block = page.locator(".blk.appt", has_text="TRAORÉ Fanta")
    expect(block).to_contain_text("09:00–09:20")

    # Drag to 10:00 (the 13th row of a grid starting at 09:00).
    cells = page.locator(".tgrid-col .tgrid-cells").first
    box = cells.bounding_box()
    assert box is not None
    row_height = box["height"] / _rows(page)
    block.locator(".blk-link").drag_to(
        cells, target_position={"x": box["width"] / 2, "y": row_height * 12 + row_height / 2}
    )
    expect(page.locator("#agenda-message")).to_contain_text(
        "Rendez-vous déplacé au lundi 4 mars 2030 à 10:00 avec Claire Moreau."
    )
    expect(block).to_contain_text("10:00–10:20")
    moved.refresh_from_db()
    assert moved.start == paris(2030, 3, 4, 10)

    # Keyboard: d, one hour down (12 × ↓) into the absence, Enter: refused, snaps back.
    link = block.locator(".blk-link")
    link.focus()
    page.keyboard.press("d")
    for _ in range(12):
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#agenda-message")).to_contain_text("absent·e à ce moment-là")
    expect(page.locator("#agenda-message")).to_have_class("message message-error")
    expect(block).to_contain_text("10:00–10:20")
    moved.refresh_from_db()
    assert moved.start == paris(2030, 3, 4, 10)
    screenshot(page, "reception-grid-move-refused")

    # Keyboard again: three steps of five minutes up, Enter: 09:45.
    expect(page.locator(".blk.appt .blk-link", has_text="TRAORÉ Fanta")).to_be_focused()
    page.keyboard.press("d")
    for _ in range(3):
        page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(block).to_contain_text("09:45–10:05")
    moved.refresh_from_db()
    assert moved.start == paris(2030, 3, 4, 9, 45)
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_walk_in_goes_through_the_waiting_room(
    page: Page, browser: Any, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    doctor = staff["soignant"]
    ConsultationTypeFactory()
    PatientFactory(last_name="Diallo", first_name="Awa")
    login(page, live_server, staff["accueil"])
    page.goto(f"{live_server.url}/rendez-vous/sans-rendez-vous/")
    htmx_ready(page, "#patient-search")
    page.get_by_label("Rechercher le·la patient·e").fill("diallo")
    page.get_by_label("DIALLO Awa", exact=False).check()
    page.get_by_label("Motif").select_option(label="Consultation de médecine générale")
    page.get_by_label("Soignant·e").select_option(value=str(doctor.profile.pk))
    page.get_by_role("button", name="Mettre en salle d'attente").click()
    expect(page.locator(".message-success")).to_contain_text(
        "est en salle d'attente (sans rendez-vous"
    )
    waiting = page.locator("section", has=page.get_by_role("heading", name="En salle d'attente"))
    expect(waiting).to_contain_text("DIALLO Awa")
    expect(waiting).to_contain_text("attend depuis 0 min")
    walk_in = Appointment.objects.get()
    assert walk_in.status == Status.ARRIVED and walk_in.is_walk_in

    # The practitioner calls her from their own agenda, then closes the consultation.
    other = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    doctor_page = other.new_page()
    login(doctor_page, live_server, doctor)
    doctor_page.goto(f"{live_server.url}/rendez-vous/mon-agenda/")
    expect(doctor_page.locator("#my-waiting")).to_contain_text("salle d'attente")
    doctor_page.get_by_role("button", name="Appeler DIALLO Awa").click()
    expect(doctor_page.locator(".message-success")).to_contain_text("appelé·e en consultation")
    walk_in.refresh_from_db()
    assert walk_in.in_consultation and walk_in.called_at is not None
    page.reload()
    expect(
        page.locator("section", has=page.get_by_role("heading", name="En consultation"))
    ).to_contain_text("DIALLO Awa")
    doctor_page.get_by_role("button", name="Vu·e DIALLO Awa").click()
    walk_in.refresh_from_db()
    assert walk_in.status == Status.SEEN
    page.reload()
    expect(
        page.locator("section", has=page.get_by_role("heading", name="Vu·e·s aujourd'hui"))
    ).to_contain_text("DIALLO Awa")
    other.close()


@pytest.mark.usefixtures("daytime")  # « the first free time from now » on today's grid
def test_a_keyboard_only_morning_search_book_arrival(
    page: Page, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    today = timezone.localdate()
    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(doctor, site, today.weekday(), "00:00", "23:55")
    ConsultationTypeFactory()  # the only motif of general practice: chosen already
    PatientFactory(last_name="Benhamou", first_name="Yasmina")
    login(page, live_server, staff["accueil"])
    page.goto(f"{live_server.url}/rendez-vous/jour/?site={site.pk}")
    keys = 0

    def press(key: str) -> None:
        nonlocal keys
        keys += 1
        page.keyboard.press(key)

    def type_text(text: str) -> None:
        nonlocal keys
        keys += len(text)
        page.keyboard.type(text, delay=30)

    press("ArrowDown")  # into the grid: the first free time from now
    focused = page.locator(".tgrid [data-free]:focus")
    expect(focused).to_have_count(1)
    press("Enter")  # book there: the panel opens, the patient search has the focus
    expect(page.locator("#patient-search")).to_be_focused()
    type_text("benh")
    expect(page.get_by_label("BENHAMOU Yasmina", exact=False)).to_be_visible()
    press("ArrowDown")  # the first person found
    press("Enter")  # confirm
    expect(page.locator("#book-panel")).to_contain_text("Rendez-vous pris pour BENHAMOU Yasmina")
    booked = Appointment.objects.get()
    expect(page.locator(f'.tgrid [data-appointment="{booked.pk}"]')).to_be_focused()
    press("a")  # arrival
    expect(page.locator(".message-success")).to_contain_text("Arrivée notée.")
    booked.refresh_from_db()
    assert booked.status == Status.ARRIVED
    assert keys == 9  # ↓ Entrée b e n h ↓ Entrée a


def test_the_grid_has_no_serious_accessibility_violation(
    browser: Any, live_server: Any, site: Site, staff: dict[str, User]
) -> None:
    from django.test import Client

    doctor = practitioner(site=site, first_name="Claire", last_name="Moreau")
    weekly(doctor, site, 0, "09:00", "12:00")
    nurse = practitioner(site=site, first_name="Inès", last_name="Bakri", profession="infirmier")
    weekly(nurse, site, 0, "08:30", "11:00")
    Absence.objects.create(
        practitioner=nurse, start=paris(2030, 3, 4, 10), end=paris(2030, 3, 4, 11), reason="conges"
    )
    ctype = ConsultationTypeFactory()
    for minute in (0, 40):
        appointment(
            practitioner=doctor,
            site=site,
            start=paris(2030, 3, 4, 9, minute),
            booked_by=staff["accueil"],
        )
    client = Client()
    client.force_login(staff["accueil"], backend="django.contrib.auth.backends.ModelBackend")
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context = browser.new_context(bypass_csp=True, locale="fr-FR")
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    problems = []
    for query in (f"date={DAY}", f"date={DAY}&type={ctype.pk}"):
        page.goto(f"{live_server.url}/rendez-vous/jour/?site={site.pk}&{query}")
        page.get_by_role("link", name="Libre 09:20 avec Claire Moreau : réserver").click()
        expect(page.locator("#book-panel")).to_contain_text("Nouveau rendez-vous")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        problems += [
            f"{query}: {v['id']} ({v['impact']}) — {v['help']} — "
            f"{[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
    page.goto(f"{live_server.url}/rendez-vous/semaine/{doctor.pk}/?date={DAY}")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    problems += [
        f"semaine: {v['id']} ({v['impact']}) — {v['help']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    context.close()
    assert problems == []
