"""The journal a director can read: staff names, French labels for actions, objects, fields
and values; filters by person, staff member, dates, action family and object; CSV export,
itself journaled."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from centre import audit
from centre.journal import JournalFilters, journal_entries
from centre.journal_labels import action_label, readable
from centre.models import AuditEntry, Site, User
from patients.models import Patient
from tests.appointments.factories import appointment, paris, practitioner
from tests.patients.factories import PatientFactory


def new_patient(**fields: Any) -> Patient:
    return cast(Patient, PatientFactory(**fields))


def _arrival(staff: dict[str, User], site: Site, patient: Any) -> Any:
    rdv = appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=paris(2025, 3, 10),
        booked_by=staff["accueil"],
        patient=patient,
    )
    with transaction.atomic():
        audit.record(
            actor=staff["accueil"],
            action="appointment.arrived",
            obj=rdv,
            changes={"status": ["booked", "arrived"], "interpreter_needed": [False, True]},
        )
    return rdv


def test_rows_name_staff_and_label_actions_fields_and_values(
    staff: dict[str, User], site: Site
) -> None:
    patient = new_patient(last_name="Moreau", first_name="Inès")
    rdv = _arrival(staff, site, patient)
    (row,) = readable(AuditEntry.objects.filter(action="appointment.arrived"))
    assert row.who == staff["accueil"].get_full_name() != staff["accueil"].email
    assert row.action == "Arrivée"
    assert row.family == "Rendez-vous"
    assert row.object_type == "Rendez-vous"
    assert row.object.endswith(f"(Rendez-vous n° {rdv.pk})")
    changes = [str(c) for c in row.changes]
    assert "statut : Prévu → Arrivé·e" in changes


def test_unknown_actions_get_a_composed_french_label() -> None:
    assert action_label("patient.update") == "Modification du dossier"
    assert action_label("schedule.weekly.create") == "Plannings : création"
    assert action_label("admin.site.update") == "Administration : modification (site)"
    assert action_label("participation.export_xlsx") == "Participation des usagers : export XLSX"


def test_filters_by_person_staff_dates_family_and_object(
    staff: dict[str, User], site: Site
) -> None:
    first, second = new_patient(), new_patient()
    rdv = _arrival(staff, site, first)
    _arrival(staff, site, second)
    audit.record_list_read(
        actor=staff["soignant"], action="patient.search", model=type(first), ids=[first.pk]
    )
    old = AuditEntry.objects.create(
        at=timezone.now() - datetime.timedelta(days=40), actor=staff["direction"],
        actor_label=staff["direction"].email, action="staff.invite",
    )  # fmt: skip

    def count(**filters: Any) -> int:
        return journal_entries(JournalFilters(**filters)).count()

    # Person concerned: her appointment's entry and the search that showed her.
    about_first = journal_entries(JournalFilters(patient=first.pk))
    assert sorted(e.action for e in about_first) == ["appointment.arrived", "patient.search"]
    assert count(actor=staff["soignant"]) == 1
    assert count(actor=staff["direction"]) == 1
    today = timezone.localdate()
    assert count(start=today, end=today) == 3
    assert count(end=today - datetime.timedelta(days=30)) == 1
    assert journal_entries(JournalFilters(end=today - datetime.timedelta(days=30))).get() == old
    assert count(family="appointment") == 2
    assert count(family="staff") == 1
    assert count(object_type="appointments.appointment") == 2
    assert count(object_type="appointments.appointment", object_id=str(rdv.pk)) == 1


def test_page_shows_labels_and_filters(client_for: Any, staff: dict[str, User]) -> None:
    client = client_for("direction")
    client.post(f"/direction/equipe/{staff['accueil'].pk}/actif/0/")
    html = client.get("/direction/journal/", {"family": "staff"}).content.decode()
    assert "Compte désactivé" in html
    assert "actif : oui → non" in html
    assert staff["direction"].get_full_name() in html
    assert "Famille d&#x27;actions" in html or "Famille d'actions" in html
    refused = client.get("/direction/journal/", {"end": "2025-01-01", "start": "2025-02-01"})
    assert "La fin de la période précède son début." in refused.content.decode()


def test_csv_export_is_filtered_labelled_neutralised_and_journaled(
    client_for: Any, staff: dict[str, User], site: Site
) -> None:
    patient = new_patient(last_name="=HYPERLINK(1)")
    _arrival(staff, site, patient)
    with transaction.atomic():
        audit.record(actor=staff["accueil"], action="patient.update", obj=patient)
    client = client_for("direction")
    response = client.get("/direction/journal/export.csv", {"patient": patient.pk})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:4] == ["Quand", "Qui", "Famille", "Action"]
    assert len(rows) == 3  # header, the update (newest first), the arrival
    update, arrival = rows[1], rows[2]
    assert arrival[1] == staff["accueil"].get_full_name()
    assert arrival[3] == "Arrivée"
    assert "statut : Prévu → Arrivé·e" in arrival[7]
    assert update[3] == "Modification du dossier"
    assert update[5].startswith("'=HYPERLINK")  # never a live formula
    export = AuditEntry.objects.get(action="audit.export_csv")
    assert export.actor == staff["direction"] and export.is_read
    assert export.extra["count"] == 2 and export.extra["filters"]["patient"] == patient.pk
    for role in ("accueil", "soignant", "mediation", "facturation"):
        assert client_for(role).get("/direction/journal/export.csv").status_code == 403
