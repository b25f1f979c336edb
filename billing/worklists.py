"""The clerk's worklists: à vérifier, rejets, impayés, à rapprocher.

One place says, for each list, what it holds, how it is filtered (payer, cause, age, site),
sorted and exported, and where each row's cause is fixed. The page and the API read a list
through `worklist_page` (journaled: the rows shown) and export it through `worklist_export`
(journaled: every row exported). Counts and amounts are those of the filtered rows, never of
a capped page.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.db.models import Count, Model, Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone

from billing import perms, selectors
from billing.errors import BillingError, BillingNotFound
from billing.models import (
    Claim,
    ClaimStatus,
    ItemKind,
    ItemStatus,
    ReconciliationItem,
)
from billing.payers import payer_name
from billing.rejects import REJECT_REASONS, Action
from centre import audit
from centre.models import Site, User
from centre.spreadsheets import csv_bytes

PAGE_SIZE = 50
AGES: dict[str, tuple[str, int, int | None]] = {
    "0-30": ("0–30 jours", 0, 30),
    "31-60": ("31–60 jours", 31, 60),
    "61-90": ("61–90 jours", 61, 90),
    "90+": ("plus de 90 jours", 91, None),
}
SORTS: dict[str, str] = {
    "age": "les plus anciens d'abord",
    "-age": "les plus récents d'abord",
    "-montant": "montant décroissant",
    "montant": "montant croissant",
    "payeur": "payeur",
}


@dataclass(frozen=True)
class Params:
    payer: str = ""  # "AMO:861"
    cause: str = ""
    age: str = ""
    site: int | None = None
    sort: str = "age"
    page: int = 1

    @property
    def query(self) -> str:
        """The query string of these filters (not the page), for links and the export."""
        from urllib.parse import urlencode

        values = {
            "payeur": self.payer,
            "cause": self.cause,
            "age": self.age,
            "site": self.site or "",
            "tri": "" if self.sort == "age" else self.sort,
        }
        return urlencode({k: v for k, v in values.items() if v})

    def as_dict(self) -> dict[str, Any]:
        return {
            "payer": self.payer,
            "cause": self.cause,
            "age": self.age,
            "site": self.site,
            "sort": self.sort,
        }


@dataclass(frozen=True)
class Fix:
    url: str
    label: str


@dataclass(frozen=True)
class Row:
    obj: Any
    date: datetime.date | None
    patient: str
    payer: str
    cause: str
    amount: Decimal | None
    status: str
    fix: Fix | None
    reference: str = ""
    actions: Sequence[str] = ()
    # Last day to send the care sheet (art. R161-47 I 1° b CSS), for claims not sent yet.
    deadline: datetime.date | None = None

    @property
    def late(self) -> bool:
        return self.deadline is not None and self.deadline < timezone.localdate()


@dataclass(frozen=True)
class Spec:
    name: str
    title: str
    model: type[Model]
    journal_action: str
    base: Callable[[], QuerySet[Any]]
    date_field: str
    site_field: str | None
    amount_field: str
    payer_fields: tuple[str, str]
    causes: Callable[[QuerySet[Any]], list[tuple[str, str]]]
    cause_filter: Callable[[str], Q]
    row: Callable[[Any], Row]
    help: str = ""
    sorts: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _patient_of(claim: Claim | None) -> str:
    if claim is None:
        return ""
    patient = claim.invoice.patient
    return f"{patient.last_name.upper()} {patient.first_name}"


# --- where a cause is fixed -------------------------------------------------------------------


def _patient_fix(claim: Claim, what: str) -> Fix:
    patient_id = claim.invoice.patient_id
    if what == "identity":
        return Fix(reverse("patients:edit", args=[patient_id]), "Corriger l'identité (NIR, rang)")
    if what == "coverage":
        return Fix(reverse("patients:coverage_add", args=[patient_id]), "Mettre à jour les droits")
    return Fix(reverse("patients:detail", args=[patient_id]), "Ouvrir le dossier")


# Reject code → the screen where its cause is fixed (billing.rejects gives the advice).
_REJECT_FIX = {
    "R01": "coverage",  # rights closed
    "R02": "identity",  # beneficiary unknown
    "R03": "identity",  # NIR / birth date
    "R04": "correct",  # act not billable by this profession
    "R05": "invoice",  # duplicate
    "R06": "coverage",  # médecin traitant missing
    "R07": "correct",  # amount vs tariff
}


def reject_fix(claim: Claim) -> Fix:
    where = _REJECT_FIX.get(claim.reject_code, "invoice")
    if where in ("identity", "coverage"):
        return _patient_fix(claim, where)
    if where == "correct":
        return Fix(
            reverse("billing:invoice_correct", args=[claim.invoice_id]), "Corriger les actes"
        )
    return Fix(reverse("billing:invoice_detail", args=[claim.invoice_id]), "Ouvrir la facture")


# Issues that keep a claim « à vérifier » (billing.services.invoices) → where they are fixed.
CHECK_CAUSES: dict[str, tuple[str, str, str]] = {
    # key: (label, text the issue starts with, where)
    "nir": ("NIR manquant", "NIR de l'assuré", "identity"),
    "caisse": ("Caisse inconnue", "Caisse d'affiliation inconnue", "coverage"),
    "droits": ("Aucun droit à cette date", "Aucun droit", "coverage"),
    "c2s": ("C2S et complémentaire", "C2S et complémentaire", "coverage"),
}


def _check_cause(claim: Claim) -> tuple[str, Fix]:
    issues = list(claim.invoice.issues or [])
    for label, prefix, where in CHECK_CAUSES.values():
        if any(str(i).startswith(prefix) for i in issues):
            return label, _patient_fix(claim, where)
    text = "; ".join(str(i) for i in issues) or "À vérifier"
    return text, Fix(reverse("billing:invoice_detail", args=[claim.invoice_id]), "Vérifier")


# --- the lists --------------------------------------------------------------------------------


def _claims() -> QuerySet[Claim]:
    return Claim.objects.select_related("invoice__patient", "invoice__site").filter(
        invoice__superseded_at__isnull=True
    )


def _payer_choices(qs: QuerySet[Any], fields: tuple[str, str]) -> list[tuple[str, str]]:
    pairs = qs.order_by().values_list(*fields).distinct()
    return sorted(((f"{t}:{c}", payer_name(t, c)) for t, c in pairs), key=lambda choice: choice[1])


def _to_check_row(claim: Claim) -> Row:
    cause, fix = _check_cause(claim)
    deadline = (
        selectors.sending_deadline(claim.invoice.date_of_care)
        if claim.payer_type in selectors.SENDING_DEADLINE_PAYERS
        else None
    )
    return Row(
        claim,
        claim.invoice.date_of_care,
        _patient_of(claim),
        payer_name(claim.payer_type, claim.payer_code, claim.payer_label),
        cause,
        claim.amount,
        claim.get_status_display(),
        fix,
        claim.reference,
        deadline=deadline,
    )


def _reject_row(claim: Claim) -> Row:
    reason = REJECT_REASONS.get(claim.reject_code)
    action = reason.action if reason else Action.RESUBMIT
    cause = claim.reject_label or (reason.label if reason else claim.reject_code)
    if claim.status == ClaimStatus.PARTLY_PAID:
        cause = f"Payée en partie ({claim.paid_amount} € sur {claim.amount} €) — {cause}"
    return Row(
        claim,
        claim.invoice.date_of_care,
        _patient_of(claim),
        payer_name(claim.payer_type, claim.payer_code, claim.payer_label),
        cause,
        claim.outstanding,
        claim.get_status_display(),
        reject_fix(claim),
        claim.reference,
        actions=(action, *[a for a in Action.LABELS if a != action]),
    )


UNPAID_CAUSES = {
    "retard": "En retard (7 jours ouvrés après l'ARL, ou lot sans ARL)",
    "sans-arl": "Lot sans ARL",
    "attente": "En attente, dans les délais",
}


def _unpaid_filter(cause: str) -> Q:
    overdue = selectors.overdue_claims()
    no_arl = overdue.filter(status=ClaimStatus.SENT).values("pk")
    if cause == "retard":
        return Q(pk__in=overdue.values("pk"))
    if cause == "sans-arl":
        return Q(pk__in=no_arl)
    return ~Q(pk__in=overdue.values("pk"))


def _unpaid_row(claim: Claim) -> Row:
    if claim.status == ClaimStatus.SENT:
        cause = "Envoyée, ARL attendu"
    else:
        cause = f"ARL reçu le {claim.acknowledged_on:%d/%m/%Y}" if claim.acknowledged_on else ""
    return Row(
        claim,
        claim.invoice.date_of_care,
        _patient_of(claim),
        payer_name(claim.payer_type, claim.payer_code, claim.payer_label),
        cause,
        claim.outstanding,
        claim.get_status_display(),
        Fix(reverse("billing:batch_list"), f"Lot n° {claim.batch.number}") if claim.batch else None,
        claim.reference,
    )


def _item_row(item: ReconciliationItem) -> Row:
    claim = item.claim
    fix = (
        Fix(reverse("billing:invoice_detail", args=[claim.invoice_id]), "Ouvrir la facture")
        if claim
        else Fix(reverse("billing:return_import"), f"Fichier « {item.return_file.filename} »")
    )
    label = f"{item.get_kind_display()} — {item.label}" if item.label else item.get_kind_display()
    return Row(
        item,
        item.on or timezone.localdate(item.created_at),
        _patient_of(claim),
        payer_name(item.payer_type, item.payer_code),
        f"{label} : {item.reason}",
        item.amount,
        item.get_status_display(),
        fix,
        item.claim_ref or item.transfer_ref,
    )


CLAIM_SORTS = {
    "age": ("invoice__date_of_care", "id"),
    "-age": ("-invoice__date_of_care", "-id"),
    "montant": ("amount", "id"),
    "-montant": ("-amount", "id"),
    "payeur": ("payer_type", "payer_code", "invoice__date_of_care", "id"),
}

WORKLISTS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec(
            name="a-verifier",
            title="Demandes à vérifier",
            help="Elles ne partiront pas tant que la cause n'est pas corrigée.",
            model=Claim,
            journal_action="billing.claim.list",
            base=lambda: _claims().filter(status=ClaimStatus.DRAFT),
            date_field="invoice__date_of_care",
            site_field="invoice__site_id",
            amount_field="amount",
            payer_fields=("payer_type", "payer_code"),
            causes=lambda qs: [(k, v[0]) for k, v in CHECK_CAUSES.items()],
            cause_filter=lambda key: Q(invoice__issues__icontains=CHECK_CAUSES[key][1]),
            row=_to_check_row,
            sorts=CLAIM_SORTS,
        ),
        Spec(
            name="rejets",
            title="Rejets et paiements partiels",
            help="Chaque ligne mène à l'écran qui corrige sa cause ; puis renvoyer, facturer au "
            "patient ou passer en perte.",
            model=Claim,
            journal_action="billing.claim.list",
            base=lambda: _claims().filter(
                status__in=(ClaimStatus.REJECTED, ClaimStatus.PARTLY_PAID)
            ),
            date_field="invoice__date_of_care",
            site_field="invoice__site_id",
            amount_field="amount",
            payer_fields=("payer_type", "payer_code"),
            causes=lambda qs: sorted(
                {
                    (code, (REJECT_REASONS[code].label if code in REJECT_REASONS else code))
                    for code in qs.order_by().values_list("reject_code", flat=True).distinct()
                    if code
                }
            ),
            cause_filter=lambda key: Q(reject_code=key),
            row=_reject_row,
            sorts=CLAIM_SORTS,
        ),
        Spec(
            name="impayes",
            title="Impayés",
            help="Demandes envoyées en attente de paiement ; en retard : 7 jours ouvrés après "
            "l'ARL pour une feuille sécurisée par carte Vitale, ou lot sans ARL.",
            model=Claim,
            journal_action="billing.claim.list",
            base=lambda: (
                _claims()
                .select_related("batch")
                .filter(status__in=(ClaimStatus.SENT, ClaimStatus.ACKNOWLEDGED))
            ),
            date_field="invoice__date_of_care",
            site_field="invoice__site_id",
            amount_field="amount",
            payer_fields=("payer_type", "payer_code"),
            causes=lambda qs: list(UNPAID_CAUSES.items()),
            cause_filter=_unpaid_filter,
            row=_unpaid_row,
            sorts=CLAIM_SORTS,
        ),
        Spec(
            name="a-rapprocher",
            title="À rapprocher",
            help="Lignes des retours qui ne correspondent à aucune demande : forfaits, "
            "ajustements, récupérations (indus), paiements ou rejets sans demande en attente.",
            model=ReconciliationItem,
            journal_action="billing.reconciliation.list",
            base=lambda: ReconciliationItem.objects.select_related(
                "return_file", "claim__invoice__patient"
            ).filter(status=ItemStatus.OPEN),
            date_field="created_at__date",
            site_field=None,
            amount_field="amount",
            payer_fields=("payer_type", "payer_code"),
            causes=lambda qs: list(ItemKind.choices),
            cause_filter=lambda key: Q(kind=key),
            row=_item_row,
            sorts={
                "age": ("created_at", "id"),
                "-age": ("-created_at", "-id"),
                "montant": ("amount", "id"),
                "-montant": ("-amount", "id"),
                "payeur": ("payer_type", "payer_code", "created_at", "id"),
            },
        ),
    )
}


def spec_of(name: str) -> Spec:
    spec = WORKLISTS.get(name)
    if spec is None:
        raise BillingNotFound("Liste inconnue.")
    return spec


def parse_params(spec: Spec, data: Mapping[str, Any]) -> Params:
    """Filters from a query string (`payeur`, `cause`, `age`, `site`, `tri`, `page`, or their
    English names for the API); an unknown value is refused with its field."""

    def get(*names: str) -> str:
        for name in names:
            value = data.get(name)
            if value not in (None, ""):
                return str(value).strip()
        return ""

    payer, cause, age = get("payeur", "payer"), get("cause"), get("age")
    site_text, sort, page_text = get("site"), get("tri", "sort") or "age", get("page") or "1"
    if payer and (":" not in payer or len(payer) > 30):
        raise BillingError("Payeur inconnu.", field="payer")
    if age and age not in AGES:
        raise BillingError(f"Ancienneté : {', '.join(AGES)}.", field="age")
    if sort not in spec.sorts:
        raise BillingError(f"Tri : {', '.join(spec.sorts)}.", field="sort")
    # Reject codes are whatever the payers send: any code is a valid filter for « rejets ».
    known = spec.name == "rejets" or cause in {key for key, _ in spec.causes(spec.base())}
    if cause and (not known or len(cause) > 8):
        raise BillingError("Cause inconnue.", field="cause")
    if site_text and not site_text.isdigit():
        raise BillingError("Site inconnu.", field="site")
    if not page_text.isdigit() or int(page_text) < 1:
        raise BillingError("Page : un nombre à partir de 1.", field="page")
    site = int(site_text) if site_text else None
    if site is not None and spec.site_field is None:
        raise BillingError("Cette liste ne se filtre pas par site.", field="site")
    return Params(payer, cause, age, site, sort, int(page_text))


def filtered(spec: Spec, params: Params, today: datetime.date | None = None) -> QuerySet[Any]:
    today = today or timezone.localdate()
    qs = spec.base()
    if params.payer:
        payer_type, payer_code = params.payer.split(":", 1)
        qs = qs.filter(**{spec.payer_fields[0]: payer_type, spec.payer_fields[1]: payer_code})
    if params.cause:
        qs = qs.filter(spec.cause_filter(params.cause))
    if params.age:
        _, low, high = AGES[params.age]
        qs = qs.filter(**{f"{spec.date_field}__lte": today - datetime.timedelta(days=low)})
        if high is not None:
            qs = qs.filter(**{f"{spec.date_field}__gte": today - datetime.timedelta(days=high)})
    if params.site is not None and spec.site_field:
        qs = qs.filter(**{spec.site_field: params.site})
    return qs.order_by(*spec.sorts[params.sort])


@dataclass(frozen=True)
class WorklistPage:
    spec: Spec
    params: Params
    rows: list[Row]
    count: int  # rows matching the filters, all pages
    amount: Decimal  # their total
    number: int
    pages: int
    payers: list[tuple[str, str]]
    causes: list[tuple[str, str]]
    sites: list[tuple[int, str]]

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def worklist_page(
    *, by: User, name: str, params: Params, page_size: int = PAGE_SIZE
) -> WorklistPage:
    """One page of a worklist with the count and total of all filtered rows; the rows shown
    are journaled (same entry from the page and the API)."""
    perms.require(by, perms.BILLING_READ)
    spec = spec_of(name)
    qs = filtered(spec, params)
    totals = qs.order_by().aggregate(n=Count("id"), total=Sum(spec.amount_field))
    paginator = Paginator(qs, page_size)
    paginator.count = totals["n"]  # counted once, above
    try:
        page = paginator.page(params.page)
    except EmptyPage:
        raise BillingNotFound(
            f"Page {params.page} inexistante ({paginator.num_pages} page(s))."
        ) from None
    objects = list(page.object_list)
    if objects:
        audit.record_list_read(
            actor=by,
            action=spec.journal_action,
            model=spec.model,
            ids=[o.pk for o in objects],
            worklist=name,
        )
    base = spec.base()
    sites = list(Site.objects.order_by("name").values_list("pk", "name")) if spec.site_field else []
    return WorklistPage(
        spec=spec,
        params=params,
        rows=[spec.row(o) for o in objects],
        count=totals["n"],
        amount=totals["total"] or Decimal("0.00"),
        number=page.number,
        pages=paginator.num_pages,
        payers=_payer_choices(base, spec.payer_fields),
        causes=spec.causes(base),
        sites=sites,
    )


# --- export -----------------------------------------------------------------------------------

EXPORT_COLUMNS = ("Référence", "Date", "Patient·e", "Payeur", "Cause", "Montant", "État")


def _csv_amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def export_rows(rows: Iterable[Row]) -> bytes:
    """The filtered worklist as CSV, through the project's one spreadsheet writer (formula-like
    cells neutralised: a reject cause or a reference comes from the payer's file)."""
    return csv_bytes(
        EXPORT_COLUMNS,
        (
            (
                r.reference,
                r.date.isoformat() if r.date else "",
                r.patient,
                r.payer,
                r.cause,
                _csv_amount(r.amount),
                r.status,
            )
            for r in rows
        ),
    )


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes
    count: int


def worklist_export(*, by: User, name: str, params: Params) -> Export:
    """Every filtered row (not one page) as CSV `;` UTF-8, journaled with the ids exported."""
    perms.require(by, perms.BILLING_READ)
    spec = spec_of(name)
    objects = list(filtered(spec, params))
    audit.record_list_read(
        actor=by,
        action="billing.worklist.export",
        model=spec.model,
        ids=[o.pk for o in objects],
        worklist=name,
        filters=params.as_dict(),
    )
    content = export_rows(spec.row(o) for o in objects)
    day = timezone.localdate().isoformat()
    return Export(f"{name}-{day}.csv", content, len(objects))
