"""Every number of the dashboard links to the list of what it counts: the test follows each
link (headlines and categories) and checks that the list holds exactly the rows the number
counts or sums — checked against the figure, and for the main ones against hand-written SQL
on the hand-built month of tests/centre/reports_data.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from billing.models import Claim, Invoice, Payment
from centre.models import AuditEntry, Site, User
from centre.reports.dashboard import dashboard_context
from centre.reports.presentation import Shown
from outreach.models import CollectiveAction, TriState
from tests.centre.reports_data import JANUARY, build
from tests.outreach.factories import PersonFactory, PlaceFactory, SessionFactory

pytestmark = pytest.mark.django_db

ROW = re.compile(r'data-row-id="(\d+)"')
# Numbers that are sums: the column of the listed rows they add up.
SUMS: dict[tuple[str, str | None], tuple[type[Any], Callable[[Any], Decimal]]] = {
    ("billing.billed", None): (Invoice, lambda r: r.total),
    ("billing.billed", "assurance maladie (AMO)"): (Invoice, lambda r: r.amo),
    ("billing.billed", "complémentaires (AMC)"): (Invoice, lambda r: r.amc),
    ("billing.billed", "reste à charge des patient·e·s"): (Invoice, lambda r: r.patient_share),
    ("billing.paid", None): (Payment, lambda r: r.amount),
    ("billing.paid", "Assurance maladie"): (Payment, lambda r: r.amount),
    ("billing.paid", "Patient·e"): (Payment, lambda r: r.amount),
    ("billing.rejected", None): (Claim, lambda r: r.amount),
    ("billing.unpaid", "caisses et complémentaires"): (Claim, lambda r: r.amount - r.paid_amount),
    ("billing.unpaid", "patient·e·s"): (Invoice, lambda r: r.patient_due - r.patient_paid),
    ("outreach.collective_participants", None): (
        CollectiveAction,
        lambda r: Decimal(r.participants_count),
    ),
}
# Shares and rates: the list is their numerator, the category of that name.
NUMERATORS = {
    "appointments.qpv_share": "en QPV",
    "appointments.no_show_rate": "absences non excusées",
    "billing.tiers_payant": "factures en tiers payant",
}


def sql(query: str, *params: Any) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {row[0] for row in cursor.fetchall()}


@pytest.fixture
def month(site: Site, other_site: Site, staff: dict[str, User]) -> None:
    build(site=site, other_site=other_site, staff=staff)
    place = PlaceFactory(site=site, name="Maison des habitants")
    for day, qpv in ((6, TriState.YES), (13, TriState.NO), (20, TriState.YES)):
        SessionFactory(
            place=place, person=PersonFactory(in_qpv=qpv), held_on=JANUARY.start.replace(day=day)
        )


def _figures() -> list[Shown]:
    context = dashboard_context(JANUARY, None)
    return [fig for section in context["sections"] for fig in section["figures"]]


def _ids(client: Client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, url
    return [int(pk) for pk in ROW.findall(response.content.decode())]


@pytest.mark.usefixtures("month")
def test_every_dashboard_number_lists_exactly_what_it_counts(
    client_for: Callable[[str | None], Client], staff: dict[str, User]
) -> None:
    director = client_for("direction")
    checked = 0
    for fig in _figures():
        numbers: list[tuple[str | None, Any, str, str]] = [(None, fig.value, fig.link, fig.kind)]
        numbers += [(r.category, r.value, r.link, r.kind) for r in fig.table]
        for category, value, link, kind in numbers:
            if kind == "share" and category is not None:
                assert not link  # a share beside counts is not a list
                continue
            if not link:
                # Only numbers that are not lists of rows have no link.
                assert (fig.key, category) in {
                    ("outreach.topics", None),  # mentions: a session may raise several
                    ("billing.unpaid", None),  # claims and invoices together
                    ("outreach.collective_participants", "patient·e·s nommé·e·s"),
                }, (fig.key, category)
                continue
            path = urlparse(link)
            if path.path == reverse("appointments:consultations"):
                totals = director.get(link).context["totals"]
                listed = (
                    totals.patients if fig.key == "appointments.patients_seen" else totals.listed
                )
                assert listed == value, fig.key
                checked += 1
                continue
            query = parse_qs(path.query)
            assert query["start"] == ["2026-01-01"] and query["end"] == ["2026-01-31"]
            assert query.get("categorie", [None])[0] == category
            ids = _ids(director, link)
            assert len(ids) == len(set(ids))
            if (fig.key, category) in SUMS:
                model, column = SUMS[(fig.key, category)]
                total = sum((column(r) for r in model.objects.filter(pk__in=ids)), Decimal(0))
                assert total == Decimal(value), (fig.key, category)
            elif category is None and fig.key in NUMERATORS:
                expected = dict(fig.raw_rows)[NUMERATORS[fig.key]]
                assert len(ids) == expected, fig.key
            else:
                assert len(ids) == value, (fig.key, category, ids)
            checked += 1
    assert checked >= 40
    # Each list shown is journaled with the ids it showed.
    entry = AuditEntry.objects.filter(action="report.figure.rows").latest("id")
    assert entry.actor == staff["direction"] and "ids" in entry.extra


@pytest.mark.usefixtures("month")
def test_lists_match_hand_written_sql(client_for: Callable[[str | None], Client]) -> None:
    director = client_for("direction")
    links = {fig.key: fig for fig in _figures()}

    def row_link(key: str, category: str) -> str:
        return next(r.link for r in links[key].table if r.category == category)

    # General practitioners' held consultations in January (Paris days).
    gp = sql(
        """SELECT a.id FROM appointments_appointment a
           JOIN appointments_consultationtype t ON t.id = a.consultation_type_id
           WHERE a.status IN ('arrived', 'seen') AND t.profession = 'medecin_generaliste'
             AND (a.start AT TIME ZONE 'Europe/Paris')::date BETWEEN %s AND %s""",
        JANUARY.start,
        JANUARY.end,
    )
    assert len(gp) == 4
    assert set(_ids(director, row_link("appointments.consultations", "Médecin généraliste"))) == gp
    # Patients seen in January who live in a QPV.
    qpv = sql(
        """SELECT DISTINCT p.id FROM patients_patient p
           JOIN appointments_appointment a ON a.patient_id = p.id
           WHERE p.in_qpv AND a.status IN ('arrived', 'seen')
             AND (a.start AT TIME ZONE 'Europe/Paris')::date BETWEEN %s AND %s""",
        JANUARY.start,
        JANUARY.end,
    )
    assert len(qpv) == 2
    assert set(_ids(director, links["appointments.qpv_share"].link)) == qpv
    # Current invoices of care in January.
    invoices = sql(
        """SELECT id FROM billing_invoice
           WHERE date_of_care BETWEEN %s AND %s AND superseded_at IS NULL""",
        JANUARY.start,
        JANUARY.end,
    )
    assert len(invoices) == 3
    assert set(_ids(director, links["billing.billed"].link)) == invoices
    # Mediation sessions held in January at the Maison des habitants.
    sessions = sql(
        """SELECT s.id FROM outreach_rightssession s JOIN outreach_place pl ON pl.id = s.place_id
           WHERE pl.name = 'Maison des habitants' AND s.held_on BETWEEN %s AND %s""",
        JANUARY.start,
        JANUARY.end,
    )
    assert len(sessions) == 3
    assert set(_ids(director, row_link("outreach.sessions", "Maison des habitants"))) == sessions


@pytest.mark.usefixtures("month")
def test_the_lists_follow_the_access_rules(client_for: Callable[[str | None], Client]) -> None:
    url = reverse("reports:figure_rows", args=["billing.billed"])
    params = {"start": "2026-01-01", "end": "2026-01-31"}
    assert client_for("facturation").get(url, params).status_code == 403
    assert client_for("accueil").get(url, params).status_code == 403
    assert client_for("direction").get(url, params).status_code == 200
    # A number that is not a list of rows, and an unknown indicator: 404.
    topics = reverse("reports:figure_rows", args=["outreach.topics"])
    assert client_for("direction").get(topics, params).status_code == 404
    unknown = reverse("reports:figure_rows", args=["x.inconnu"])
    assert client_for("direction").get(unknown, params).status_code == 404
