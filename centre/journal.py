"""Reading the journal (the director's page and its CSV export): filters by person concerned,
staff member, date range, action family and object; rows labelled in French
(`centre.journal_labels`). The CSV export is itself journaled (`audit.export_csv`)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import formats, timezone

from centre import audit, journal_keys
from centre.journal_labels import FAMILIES, Row, readable
from centre.models import AuditEntry, User
from centre.perms import require_role
from centre.roles import Role

EXPORT_ACTION = "audit.export_csv"
EXPORT_LIMIT = 50_000

# Objects one can filter on: the journal's object types with their French label.
OBJECT_TYPES: dict[str, str] = {
    "patients.patient": "Dossier patient",
    "patients.coverage": "Droit (couverture)",
    "appointments.appointment": "Rendez-vous",
    "appointments.waitinglistentry": "Liste d'attente",
    "billing.invoice": "Facture",
    "billing.claim": "Demande de remboursement",
    "billing.batch": "Lot",
    "billing.returnfile": "Fichier retour",
    "outreach.person": "Personne rencontrée",
    "outreach.rightssession": "Entretien de médiation",
    "outreach.rightsfile": "Dossier de droits",
    "outreach.referral": "Orientation",
    "centre.user": "Membre de l'équipe",
    "centre.site": "Site",
}


class JournalFilterForm(forms.Form):
    patient = forms.IntegerField(label="Patient·e n°", required=False, min_value=1)
    actor = forms.ModelChoiceField(
        label="Membre de l'équipe",
        queryset=User.objects.order_by("last_name", "first_name", "email"),
        required=False,
        empty_label="Tout le monde",
    )
    start = forms.DateField(
        label="Du", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="Au (inclus)", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    family = forms.ChoiceField(
        label="Famille d'actions",
        required=False,
        choices=[("", "Toutes"), *sorted(FAMILIES.items(), key=lambda kv: kv[1])],
    )
    object_type = forms.ChoiceField(
        label="Objet",
        required=False,
        choices=[("", "Tous"), *sorted(OBJECT_TYPES.items(), key=lambda kv: kv[1])],
    )
    object_id = forms.CharField(label="Objet n°", required=False, max_length=64)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "La fin de la période précède son début.")
        if data.get("object_id") and not data.get("object_type"):
            self.add_error("object_type", "Choisissez le type d'objet de ce numéro.")
        return data


@dataclass(frozen=True)
class JournalFilters:
    patient: int | None = None
    actor: User | None = None
    start: datetime.date | None = None
    end: datetime.date | None = None
    family: str = ""
    object_type: str = ""
    object_id: str = ""

    @classmethod
    def from_form(cls, form: JournalFilterForm) -> JournalFilters:
        if not form.is_valid():
            return cls()
        data = form.cleaned_data
        return cls(
            patient=data.get("patient"),
            actor=data.get("actor"),
            start=data.get("start"),
            end=data.get("end"),
            family=data.get("family") or "",
            object_type=data.get("object_type") or "",
            object_id=(data.get("object_id") or "").strip(),
        )

    def described(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "actor": self.actor.pk if self.actor else None,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "family": self.family,
            "object_type": self.object_type,
            "object_id": self.object_id,
        }


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def journal_entries(filters: JournalFilters) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.select_related("actor").order_by("-at", "-id")
    if filters.patient is not None:
        pk = str(filters.patient)
        entries = entries.filter(
            Q(subject_type=journal_keys.PATIENT, subject_id=pk)
            | Q(object_type="patients.patient", object_id=pk)
            | Q(object_type="patients.patient", object_id="", extra__ids__has_any_keys=[pk])
        )
    if filters.actor is not None:
        entries = entries.filter(actor=filters.actor)
    if filters.start is not None:
        entries = entries.filter(at__gte=_day_start(filters.start))
    if filters.end is not None:
        entries = entries.filter(at__lt=_day_start(filters.end + datetime.timedelta(days=1)))
    if filters.family:
        entries = entries.filter(action__startswith=f"{filters.family}.")
    if filters.object_type:
        entries = entries.filter(object_type=filters.object_type)
        if filters.object_id:
            entries = entries.filter(object_id=filters.object_id)
    return entries


CSV_HEADER = ("Quand", "Qui", "Famille", "Action", "Code de l'action", "Objet", "Objet (type)",
              "Modifications", "Adresse IP", "Requête")  # fmt: skip


def csv_rows(rows: Sequence[Row]) -> list[list[str]]:
    # A journal value may come from anyone's typing: `csv_bytes` neutralises formulas.
    return [
        [
            formats.date_format(timezone.localtime(row.entry.at), "d/m/Y H:i:s"),
            row.who,
            row.family,
            row.action,
            row.entry.action,
            row.object,
            row.object_type,
            " ; ".join(str(c) for c in row.changes),
            row.entry.ip or "",
            row.entry.request_id,
        ]
        for row in rows
    ]


def journal_export_csv(*, by: User, filters: JournalFilters) -> bytes:
    """The filtered journal as CSV (direction only), journaled with its filters and count."""
    from centre.spreadsheets import csv_bytes

    require_role(by, [Role.DIRECTION], "Seule la direction lit le journal.")
    rows = readable(journal_entries(filters)[:EXPORT_LIMIT])
    audit.record(
        actor=by,
        action=EXPORT_ACTION,
        object_type="centre.auditentry",
        extra={"filters": filters.described(), "count": len(rows)},
        require_transaction=False,
        is_read=True,
    )
    return csv_bytes(CSV_HEADER, csv_rows(rows))


PAGE_READ_ACTION = "audit.journal.read"


def journal_page_read(*, by: User, filters: JournalFilters, shown: Sequence[AuditEntry]) -> None:
    """The journal page shows people's values (decrypted while their key exists): which
    entries it showed, with the filters, is itself journaled (`audit.journal.read`)."""
    require_role(by, [Role.DIRECTION], "Seule la direction lit le journal.")
    audit.record_list_read(
        actor=by,
        action=PAGE_READ_ACTION,
        model=AuditEntry,
        ids=[e.pk for e in shown],
        filters=filters.described(),
    )
