"""The consultations list by period: default filter = the dashboard's « consultations
réalisées », filters, a practitioner's own scope, totals equal to the indicators, the CSV and
its audit entry, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from appointments.models import Appointment, Status
from centre.models import AuditEntry, Site, StaffProfile, User
from centre.reports.dashboard import link_for
from centre.reports.indicators import Period, compute
from centre.reports.services.runs import default_period
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    appointment,
    paris,
    practitioner,
)

pytestmark = pytest.mark.django_db
JANUARY = Period(datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
URL = "/rendez-vous/consultations/"


@pytest.fixture
def moreau(site: Site) -> StaffProfile:
    return practitioner(site=site, first_name="Claire", last_name="Moreau")


@pytest.fixture
def january(
    site: Site, other_site: Site, staff: dict[str, User], moreau: StaffProfile
) -> dict[str, Appointment]:
    """January 2026 (UTC+1). At `site`: 5 held (2 by the `soignant` account on the first and
    last evening of the month, Paris time), 1 walk-in, 1 no-show, 1 excused, 1 cancelled, 1
    booked; at `other_site`: 1 held walk-in, 1 no-show. Two held appointments just outside
    the month in Paris time (inside it in UTC) must never be counted."""
    own = staff["soignant"].profile
    booked_by = staff["accueil"]
    durand = PatientFactory(last_name="Durand", first_name="Léa")
    smoking = ConsultationTypeFactory(label="Consultation tabacologie", profession="infirmier")

    def make(
        key: str,
        who: StaffProfile,
        start: datetime.datetime,
        status: str,
        *,
        at: Site = site,
        walk_in: bool = False,
        **kw: Any,
    ) -> tuple[str, Appointment]:
        a = appointment(
            practitioner=who, site=at, start=start, booked_by=booked_by, status=status, **kw
        )
        if walk_in:
            Appointment.objects.filter(pk=a.pk).update(is_walk_in=True)
            a.is_walk_in = True
        return key, a

    return dict(
        [
            make("seen", own, paris(2026, 1, 5, 9), Status.SEEN, patient=durand),
            make("arrived", own, paris(2026, 1, 5, 10), Status.ARRIVED),
            make(
                "walk_in",
                moreau,
                paris(2026, 1, 6, 9),
                Status.SEEN,
                walk_in=True,
                patient=durand,
                consultation_type=smoking,
            ),
            make("no_show", moreau, paris(2026, 1, 7, 9), Status.NO_SHOW),
            make("excused", moreau, paris(2026, 1, 8, 9), Status.EXCUSED),
            make("cancelled", own, paris(2026, 1, 9, 9), Status.CANCELLED),
            make("booked", own, paris(2026, 1, 20, 9), Status.BOOKED),
            make("first_night", own, paris(2026, 1, 1, 0, 10), Status.SEEN),
            make("last_night", own, paris(2026, 1, 31, 23, 30), Status.SEEN),
            make("after", own, paris(2026, 2, 1, 0, 10), Status.SEEN),
            make("before", own, paris(2025, 12, 31, 23, 30), Status.SEEN),
            make(
                "other_site",
                moreau,
                paris(2026, 1, 12, 9),
                Status.SEEN,
                at=other_site,
                walk_in=True,
            ),
            make("other_no_show", moreau, paris(2026, 1, 13, 9), Status.NO_SHOW, at=other_site),
        ]
    )


def _listed(response: Any) -> set[int]:
    return {a.pk for a in response.context["page"].object_list}


def _ids(data: dict[str, Appointment], *keys: str) -> set[int]:
    return {data[k].pk for k in keys}


def test_list_defaults_to_held_consultations_and_agrees_with_the_dashboard(
    site: Site, january: dict[str, Appointment], client_for: Callable[[str | None], Client]
) -> None:
    client = client_for("direction")
    indicators = {
        r.key: r.value
        for r in compute(
            [
                "appointments.consultations",
                "appointments.walk_ins",
                "appointments.patients_seen",
                "appointments.no_show_rate",
            ],
            JANUARY,
            [site],
        )
    }
    # The dashboard's link, as is: period and site only.
    url = link_for("appointments.consultations", JANUARY, [site])
    assert url == f"{URL}?start=2026-01-01&end=2026-01-31&site={site.pk}"
    response = client.get(url)
    assert response.status_code == 200
    totals = response.context["totals"]
    assert _listed(response) == _ids(
        january, "seen", "arrived", "walk_in", "first_night", "last_night"
    )
    assert totals.listed == indicators["appointments.consultations"] == 5
    assert totals.walk_ins == indicators["appointments.walk_ins"] == 1
    assert totals.patients == indicators["appointments.patients_seen"] == 4
    assert response.context["no_show_rate"] == indicators["appointments.no_show_rate"]
    assert response.context["no_show_rate"] == Decimal("16.7")  # 1 ÷ (5 + 1)
    assert totals.by_status == {
        "booked": 1,
        "arrived": 1,
        "seen": 4,
        "no_show": 1,
        "excused": 1,
        "cancelled": 1,
    }
    html = response.content.decode()
    assert "<strong>5</strong> rendez-vous dans la liste" in html
    assert "16,7 %" in html
    assert "DURAND Léa" in html

    # Every site: the same agreement.
    everywhere = {
        r.key: r.value
        for r in compute(
            ["appointments.consultations", "appointments.walk_ins", "appointments.no_show_rate"],
            JANUARY,
            None,
        )
    }
    response = client.get(link_for("appointments.walk_ins", JANUARY, None))
    assert response.context["totals"].listed == everywhere["appointments.consultations"] == 6
    assert response.context["totals"].walk_ins == everywhere["appointments.walk_ins"] == 2
    assert response.context["no_show_rate"] == everywhere["appointments.no_show_rate"]
    assert everywhere["appointments.no_show_rate"] == Decimal("25.0")


def test_default_period_is_the_dashboards(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    expected = default_period()
    inside = appointment(
        practitioner=staff["soignant"].profile,
        site=site,
        start=paris(expected.end.year, expected.end.month, expected.end.day, 9),
        booked_by=staff["accueil"],
        status=Status.SEEN,
    )
    response = client_for("direction").get(URL)
    chosen = response.context["chosen"]
    assert (chosen.first_day, chosen.last_day) == (expected.start, expected.end)
    assert chosen.statuses == (Status.ARRIVED, Status.SEEN)
    assert _listed(response) == {inside.pk}
    # The export link carries the defaults written out.
    assert (
        f"start={expected.start.isoformat()}&amp;end={expected.end.isoformat()}"
        in response.content.decode()
    )


def test_filters(
    site: Site,
    other_site: Site,
    staff: dict[str, User],
    moreau: StaffProfile,
    january: dict[str, Appointment],
    client_for: Callable[[str | None], Client],
) -> None:
    client = client_for("accueil")
    month = {"start": "2026-01-01", "end": "2026-01-31"}

    def listed(**params: Any) -> set[int]:
        return _listed(client.get(URL, {**month, **params}))

    assert listed(site=other_site.pk) == _ids(january, "other_site")
    assert listed(practitioner=moreau.pk) == _ids(january, "walk_in", "other_site")
    assert listed(status="no_show") == _ids(january, "no_show", "other_no_show")
    assert listed(status="excused", site=site.pk) == _ids(january, "excused")
    assert listed(status="tous", site=site.pk) == _ids(
        january,
        "seen",
        "arrived",
        "walk_in",
        "no_show",
        "excused",
        "cancelled",
        "booked",
        "first_night",
        "last_night",
    )
    smoking = january["walk_in"].consultation_type
    assert listed(type=smoking.pk) == _ids(january, "walk_in")
    assert listed(walk_in="oui") == _ids(january, "walk_in", "other_site")
    assert listed(walk_in="non", practitioner=moreau.pk) == set()
    assert listed(start="2026-01-05", end="2026-01-06") == _ids(
        january, "seen", "arrived", "walk_in"
    )
    # Totals follow the filter; counts by status ignore only the status filter.
    response = client.get(URL, {**month, "status": "no_show", "practitioner": moreau.pk})
    totals = response.context["totals"]
    assert (totals.listed, totals.patients, totals.walk_ins) == (2, 2, 0)
    assert totals.by_status["seen"] == 2 and totals.by_status["no_show"] == 2
    # A period the other way round is refused with a French message, nothing listed.
    response = client.get(URL, {"start": "2026-01-31", "end": "2026-01-01"})
    assert response.status_code == 200
    assert "chosen" not in response.context
    assert "La fin de la période doit être après son début." in response.content.decode()


def test_a_practitioner_sees_only_their_own(
    site: Site,
    moreau: StaffProfile,
    january: dict[str, Appointment],
    staff: dict[str, User],
    client_for: Callable[[str | None], Client],
) -> None:
    client = client_for("soignant")
    month = {"start": "2026-01-01", "end": "2026-01-31", "status": "tous"}
    own = _ids(january, "seen", "arrived", "cancelled", "booked", "first_night", "last_night")
    response = client.get(URL, month)
    assert _listed(response) == own
    assert "practitioner" not in response.context["form"].fields
    assert sum(response.context["totals"].by_status.values()) == len(own)
    assert "Moreau" not in response.content.decode()
    # Asking for a colleague changes nothing.
    assert _listed(client.get(URL, {**month, "practitioner": moreau.pk})) == own
    csv = client.get(reverse("appointments:consultations_csv"), month).content.decode("utf-8-sig")
    assert len(csv.splitlines()) == 1 + len(own)
    assert "Moreau" not in csv
    # Billing reads every appointment (READ_APPOINTMENTS), as the appointment page allows.
    billing = client_for("facturation").get(URL, month)
    assert len(_listed(billing)) == 11
    # A `soignant` account without a care profession has no consultations to list.
    profile = staff["soignant"].profile
    profile.profession = ""
    profile.rpps = ""
    profile.save()
    assert client.get(URL).status_code == 403
    assert client.get(reverse("appointments:consultations_csv")).status_code == 403


def test_csv_export_is_french_and_journaled(
    site: Site,
    moreau: StaffProfile,
    january: dict[str, Appointment],
    staff: dict[str, User],
    client_for: Callable[[str | None], Client],
) -> None:
    injected = PatientFactory(last_name="=HYPERLINK(1)", first_name="Max")
    a = appointment(
        practitioner=moreau,
        site=site,
        start=paris(2026, 1, 30, 14, 20),
        booked_by=staff["accueil"],
        status=Status.ARRIVED,
        patient=injected,
    )
    client = client_for("direction")
    params = {"start": "2026-01-01", "end": "2026-01-31", "site": site.pk}
    response = client.get(reverse("appointments:consultations_csv"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="consultations-2026-01-01-2026-01-31.csv"'
    )
    assert response.content.startswith("\ufeff".encode())
    lines = response.content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == (
        "date;heure;patient;dossier;soignant;profession;motif;site;statut;sans_rdv;interprete"
    )
    rows = [line.split(";") for line in lines[1:] if line]
    # Same rows as the page, chronological, Paris time.
    assert len(rows) == 6
    assert rows[0][:2] == ["01/01/2026", "00:10"]
    assert rows[-2][:2] == ["30/01/2026", "14:20"]
    assert rows[-1][:2] == ["31/01/2026", "23:30"]
    durand = january["walk_in"]
    walk_in_row = next(r for r in rows if r[3] == str(durand.patient_id) and r[9] == "oui")
    assert walk_in_row == [
        "06/01/2026",
        "09:00",
        "DURAND Léa",
        str(durand.patient_id),
        "Claire Moreau",
        "Infirmier·e",
        "Consultation tabacologie",
        "Site principal",
        "Vu·e",
        "oui",
        "",
    ]
    # A name that a spreadsheet would run as a formula is written as text.
    assert rows[-2][2] == "'=HYPERLINK(1) Max"

    entry = AuditEntry.objects.get(action="appointment.list.export_csv")
    assert entry.actor == staff["direction"]
    assert entry.object_type == "centre.centre"
    assert entry.extra["start"] == "2026-01-01" and entry.extra["end"] == "2026-01-31"
    assert entry.extra["site"] == site.pk
    assert entry.extra["statuses"] == ["arrived", "seen"]
    assert entry.extra["rows"] == 6
    expected_patients = {
        january[k].patient_id for k in ("seen", "arrived", "first_night", "last_night")
    } | {a.patient_id}
    assert entry.extra["patients"] == sorted(expected_patients)
    # Every export is journaled; the page journals the rows it shows (`appointment.list`).
    client.get(reverse("appointments:consultations_csv"), params)
    client.get(URL, params)
    assert AuditEntry.objects.filter(action="appointment.list.export_csv").count() == 2
    assert AuditEntry.objects.get(action="appointment.list").extra["count"] == 6
    assert not AuditEntry.objects.filter(actor=staff["direction"]).exclude(
        action__in=("appointment.list.export_csv", "appointment.list", "auth.login")
    )


def test_invalid_csv_filter_is_refused_and_not_journaled(
    client_for: Callable[[str | None], Client], staff: dict[str, User]
) -> None:
    response = client_for("direction").get(
        reverse("appointments:consultations_csv"), {"start": "2026-01-31", "end": "2026-01-01"}
    )
    assert response.status_code == 400
    assert not AuditEntry.objects.filter(action="appointment.list.export_csv").exists()


@pytest.mark.parametrize("rows", [1, 60])
def test_list_runs_a_fixed_number_of_queries(
    rows: int,
    site: Site,
    moreau: StaffProfile,
    staff: dict[str, User],
    client_for: Callable[[str | None], Client],
    django_assert_num_queries: Any,
) -> None:
    start = paris(2026, 1, 5, 8)
    for i in range(rows):
        appointment(
            practitioner=moreau,
            site=site,
            start=start + datetime.timedelta(minutes=20 * i),
            booked_by=staff["accueil"],
            status=Status.SEEN,
        )
    client = client_for("direction")
    params = {"start": "2026-01-01", "end": "2026-01-31", "site": site.pk}
    # session, user, groups (role check), MFA check (middleware), the site of the filter, the
    # totals (one aggregate), the count and the rows of the page (patient, practitioner, type
    # and site joined), the journal entry naming the rows shown, the select lists of the form
    # (sites, practitioners, types) and the session save (savepoint, update, release): 15
    # whatever the number of rows.
    with django_assert_num_queries(15):
        response = client.get(URL, params)
    assert response.context["totals"].listed == rows
    assert len(response.context["page"].object_list) == min(rows, 50)
    if rows > 50:
        html = response.content.decode()
        assert "Page 1 sur 2" in html
        assert f"?start=2026-01-01&amp;end=2026-01-31&amp;site={site.pk}&amp;page=2" in html
        second = client.get(URL, {**params, "page": 2})
        assert len(second.context["page"].object_list) == rows - 50
