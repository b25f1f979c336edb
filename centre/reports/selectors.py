"""The rows behind a dashboard figure: the consultations, patients, sessions, invoices… an
indicator counts (or sums), for a period, a site and a category — read under the access rule
of the app the rows belong to, and journaled (`report.figure.rows`: the ids shown, in order).

Each indicator declares its rows (`Indicator.rows`, in `<app>/indicators.py`, next to the
aggregate that counts them); tests/centre/test_reports_dashboard_links.py checks, figure by
figure, that the list holds exactly the rows the figure counts.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Model, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from centre import audit
from centre.models import Site, User
from centre.perms import require_role
from centre.refusals import NotFound
from centre.reports.indicators import Period, registry
from centre.roles import Role

ACTION = "report.figure.rows"
# A list longer than this is cut (the page says so); the count stays exact.
MAX_ROWS = 500


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    numeric: bool = False


@dataclass(frozen=True)
class RowKind:
    """How rows of one model are shown, and who may read them (the app's own rule)."""

    noun: str
    roles: tuple[str, ...]
    columns: tuple[Column, ...]
    related: tuple[str, ...] = ()
    link: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class FigureRows:
    key: str
    label: str
    category: str | None
    period: Period
    site: Site | None
    kind: RowKind
    rows: list[Any]
    count: int
    truncated: bool
    sums: list[tuple[str, Decimal]]


def _local(value: datetime.datetime) -> str:
    return f"{timezone.localtime(value):%d/%m/%Y %H:%M}"


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _kinds() -> dict[str, RowKind]:
    from appointments import perms as appointment_perms
    from billing import perms as billing_perms
    from outreach import perms as outreach_perms
    from patients import perms as patient_perms

    def roles(values: Any) -> tuple[str, ...]:
        return tuple(str(r) for r in values)

    patient = Column("Patient·e", lambda r: r.patient.display_name)
    return {
        "appointments.appointment": RowKind(
            "rendez-vous",
            roles(appointment_perms.READ_APPOINTMENTS),
            (
                Column("Date", lambda r: _local(r.start)),
                patient,
                Column("Soignant·e", lambda r: str(r.practitioner)),
                Column("Motif", lambda r: r.consultation_type.label),
                Column("Site", lambda r: r.site.name),
                Column("État", lambda r: r.get_status_display()),
            ),
            ("patient", "practitioner__user", "consultation_type", "site"),
            lambda r: _url("appointments:detail", r.pk),
        ),
        "patients.patient": RowKind(
            "patient·e·s",
            roles(patient_perms.VIEW),
            (
                Column("Patient·e", lambda r: r.display_name),
                Column("Dossier créé le", lambda r: f"{timezone.localtime(r.created_at):%d/%m/%Y}"),
            ),
            (),
            lambda r: _url("patients:detail", r.pk),
        ),
        "outreach.rightssession": RowKind(
            "entretiens",
            roles(outreach_perms.READ),
            (
                Column("Date", lambda r: f"{r.held_on:%d/%m/%Y}"),
                Column("Lieu", lambda r: r.place.name if r.place else "Hors permanence"),
                Column("Personne", lambda r: str(r.person)),
                Column("Sujets", lambda r: ", ".join(r.topic_labels())),
            ),
            ("place", "person", "person__patient"),
            lambda r: _url("outreach_session", r.pk),
        ),
        "outreach.person": RowKind(
            "personnes",
            roles(outreach_perms.READ),
            (Column("Personne", lambda r: str(r)),),
            ("patient",),
            lambda r: _url("outreach_person", r.pk),
        ),
        "outreach.rightsfile": RowKind(
            "dossiers",
            roles(outreach_perms.READ),
            (
                Column("Droit", lambda r: r.get_kind_display()),
                Column("Décision le", lambda r: f"{r.decided_on:%d/%m/%Y}" if r.decided_on else ""),
                Column("Personne", lambda r: str(r.person)),
            ),
            ("person", "person__patient"),
        ),
        "outreach.referral": RowKind(
            "orientations",
            roles(outreach_perms.READ),
            (
                Column("Demandée le", lambda r: _local(r.created_at)),
                Column("Vers", lambda r: r.get_target_display()),
                Column("État", lambda r: r.get_status_display()),
                Column("Personne", lambda r: str(r.person)),
            ),
            ("person", "person__patient"),
        ),
        "outreach.collectiveaction": RowKind(
            "actions",
            roles(outreach_perms.READ),
            (
                Column("Date", lambda r: f"{r.held_on:%d/%m/%Y}"),
                Column("Type", lambda r: r.get_kind_display()),
                Column("Intitulé", lambda r: r.title),
                Column("Participant·e·s", lambda r: r.participants_count, numeric=True),
            ),
        ),
        "billing.invoice": RowKind(
            "factures",
            roles(billing_perms.BILLING_READ),
            (
                Column("N°", lambda r: r.number),
                Column("Soins du", lambda r: f"{r.date_of_care:%d/%m/%Y}"),
                patient,
                Column("Total (€)", lambda r: r.total, numeric=True),
                Column("AMO (€)", lambda r: r.amo, numeric=True),
                Column("AMC (€)", lambda r: r.amc, numeric=True),
                Column("Part patient·e (€)", lambda r: r.patient_share, numeric=True),
                Column("Reste dû patient·e (€)", lambda r: r.patient_due - r.patient_paid, True),
            ),
            ("patient",),
            lambda r: _url("billing:invoice_detail", r.pk),
        ),
        "billing.payment": RowKind(
            "paiements",
            roles(billing_perms.BILLING_READ),
            (
                Column("Reçu le", lambda r: f"{r.received_on:%d/%m/%Y}"),
                Column("Payeur", lambda r: r.get_source_display()),
                Column("Facture", lambda r: r.invoice.number),
                Column("Montant (€)", lambda r: r.amount, numeric=True),
            ),
            ("invoice",),
        ),
        "billing.claim": RowKind(
            "demandes de remboursement",
            roles(billing_perms.BILLING_READ),
            (
                Column("Référence", lambda r: r.reference),
                Column("Facture", lambda r: r.invoice.number),
                Column("Payeur", lambda r: r.payer_label or r.payer_code),
                Column("État", lambda r: r.get_status_display()),
                Column("Montant (€)", lambda r: r.amount, numeric=True),
                Column("Reste dû (€)", lambda r: r.amount - r.paid_amount, numeric=True),
            ),
            ("invoice",),
        ),
    }


def rows_query(
    key: str, period: Period, sites: list[Site] | None, category: str | None
) -> QuerySet[Any] | None:
    """The rows a figure counts, or None when that number is not a list of rows."""
    indicator = registry().get(key)
    if indicator is None or indicator.rows is None:
        return None
    query = indicator.rows(period, sites, category)
    return query if isinstance(query, QuerySet) else None


def figure_rows(
    *, by: User, key: str, period: Period, site: Site | None, category: str | None
) -> FigureRows:
    """The rows behind one number of the dashboard, journaled. Refused (403) to whoever may
    not read the dashboard or those rows in their own app; 404 for a number with no rows."""
    require_role(by, (Role.DIRECTION,), "Réservé à la direction.")
    indicator = registry().get(key)
    query = rows_query(key, period, [site] if site else None, category)
    if indicator is None or query is None:
        raise NotFound("Ce chiffre ne correspond pas à une liste.")
    model: type[Model] = query.model
    kind = _kinds().get(model._meta.label_lower)
    if kind is None:
        raise NotFound("Ce chiffre ne correspond pas à une liste.")
    require_role(by, kind.roles, f"Votre rôle ne donne pas accès à ces {kind.noun}.")
    ordered = query.select_related(*kind.related).order_by("pk")
    count = ordered.count()
    rows = list(ordered[:MAX_ROWS])
    audit.record_list_read(
        actor=by,
        action=ACTION,
        model=model,
        ids=[r.pk for r in rows],
        indicator=key,
        category=category,
        start=period.start,
        end=period.end,
        site=site.pk if site else None,
    )
    sums = [
        (c.header, sum((Decimal(c.value(r)) for r in rows), Decimal(0)))
        for c in kind.columns
        if c.numeric
    ]
    return FigureRows(
        key=key,
        label=indicator.label,
        category=category,
        period=period,
        site=site,
        kind=kind,
        rows=rows,
        count=count,
        truncated=count > len(rows),
        sums=sums,
    )
