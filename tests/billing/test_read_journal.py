"""Reads of billing data about patients are journaled the same way through both doors.

Each pair does the same read through the page and through the API, as the same person, and
compares the journal entries each leaves (action, object type, object id, ids shown): one
answer to « who saw this invoice, this claim file », whichever way the person came in. The
reads that only a page offers (receipt, correction form, dashboard) are checked alone.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, ConsultationType, Status
from billing.models import Claim, ClaimStatus, Invoice, ReturnFile
from billing.services import batches, payments
from centre.models import AuditEntry, Site, User
from patients.models import Coverage, CoverageKind
from tests.billing.factories import amo_claim, make_invoice, make_patient

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]

READS = (
    "billing.invoice.read",
    "billing.invoice.list",
    "billing.invoice.preview",
    "billing.claim.list",
    "billing.return.list",
    "billing.worklist.export",
    "billing.reconciliation.list",
    "billing.batch.download",
    "billing.receipt.print",
)

Entry = tuple[str, str, str, tuple[str, ...]]


def journal_of(client: Client, method: str, url: str, **kwargs: Any) -> list[Entry]:
    """The read entries the request leaves: (action, object type, object id, ids shown).
    List ids are compared as sets: the page and the API may sort the same rows differently
    (oldest care first for the worklist, newest first in the API)."""
    before = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code in (200, 302), (url, response.status_code)
    return [
        (e.action, e.object_type, e.object_id, tuple(sorted(e.extra.get("ids", []))))
        for e in AuditEntry.objects.filter(id__gt=before, action__in=READS).order_by("id")
    ]


@dataclass
class Pair:
    role: str
    page: tuple[str, str, dict[str, Any]]  # method, url, request kwargs
    api: tuple[str, str, dict[str, Any]]


def _invoices(staff: dict[str, User], site: Site, n: int = 2) -> list[Invoice]:
    return [
        make_invoice(
            by=staff["soignant"],
            practitioner=staff["soignant"],
            site=site,
            patient=make_patient(mutuelle=False),  # 9.00 € to pay at the desk
        )
        for _ in range(n)
    ]


def _appointment(staff: dict[str, User], site: Site) -> Appointment:
    ctype, _ = ConsultationType.objects.get_or_create(
        label="Consultation de médecine générale", defaults={"profession": "medecin_generaliste"}
    )
    start = timezone.now() - datetime.timedelta(hours=1)
    return Appointment.objects.create(
        patient=make_patient(),
        practitioner=staff["soignant"].profile,
        consultation_type=ctype,
        site=site,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        status=Status.ARRIVED,
        booked_by=staff["accueil"],
    )


def invoice_detail(staff: dict[str, User], site: Site) -> Pair:
    invoice = _invoices(staff, site, 1)[0]
    return Pair(
        "facturation",
        ("get", reverse("billing:invoice_detail", args=[invoice.pk]), {}),
        ("get", reverse("api:invoice-detail", args=[invoice.pk]), {}),
    )


def invoice_detail_practitioner(staff: dict[str, User], site: Site) -> Pair:
    invoice = _invoices(staff, site, 1)[0]
    return Pair(
        "soignant",
        ("get", reverse("billing:invoice_detail", args=[invoice.pk]), {}),
        ("get", reverse("api:invoice-detail", args=[invoice.pk]), {}),
    )


def invoice_list(staff: dict[str, User], site: Site) -> Pair:
    _invoices(staff, site, 2)
    return Pair(
        "accueil",
        ("get", reverse("billing:cashier"), {}),
        ("get", reverse("api:invoices"), {}),
    )


def pending_conversions(staff: dict[str, User], site: Site) -> Pair:
    patient = make_patient(amo=False, medecin_traitant=False, nir="")
    make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        patient=patient,
        on=datetime.date(2025, 1, 15),
    )
    Coverage.objects.create(patient=patient, kind=CoverageKind.AME, start=datetime.date(2025, 1, 1))
    return Pair(
        "facturation",
        ("get", reverse("billing:pending_conversions"), {}),
        ("get", reverse("api:invoice-pending-conversions"), {}),
    )


def claims(staff: dict[str, User], site: Site) -> Pair:
    first, second = _invoices(staff, site, 2)
    Claim.objects.filter(pk__in=[amo_claim(first).pk, amo_claim(second).pk]).update(
        status=ClaimStatus.REJECTED, reject_code="R03"
    )
    return Pair(
        "facturation",
        ("get", reverse("billing:worklist", args=["rejets"]), {}),
        ("get", reverse("api:claims") + "?status=rejected", {}),
    )


def worklist(staff: dict[str, User], site: Site) -> Pair:
    claims(staff, site)
    return Pair(
        "direction",
        ("get", reverse("billing:worklist", args=["rejets"]) + "?cause=R03", {}),
        ("get", reverse("api:worklist", args=["rejets"]) + "?cause=R03", {}),
    )


def worklist_export(staff: dict[str, User], site: Site) -> Pair:
    claims(staff, site)
    return Pair(
        "facturation",
        ("get", reverse("billing:worklist_export", args=["rejets"]), {}),
        ("get", reverse("api:worklist-export", args=["rejets"]), {}),
    )


def batch_file(staff: dict[str, User], site: Site) -> Pair:
    _invoices(staff, site, 2)
    [batch_id] = batches.batches_build(by=staff["facturation"])
    return Pair(
        "facturation",
        ("get", reverse("billing:batch_download", args=[batch_id]), {}),
        ("get", reverse("api:batch-download", args=[batch_id]), {}),
    )


def return_files(staff: dict[str, User], site: Site) -> Pair:
    ReturnFile.objects.create(filename="r.txt", sha256="1" * 64, payer_type="AMO", payer_code="861")
    return Pair(
        "facturation",
        ("get", reverse("billing:return_import"), {}),
        ("get", reverse("api:returns"), {}),
    )


def preview(staff: dict[str, User], site: Site) -> Pair:
    appointment = _appointment(staff, site)
    day = timezone.localtime(appointment.start).date()
    return Pair(
        "soignant",
        (
            "post",
            reverse("billing:close_consultation", args=[appointment.pk]),
            {"data": {"acts": "G", "preview": "1"}},
        ),
        (
            "post",
            reverse("api:invoice-preview"),
            {
                "data": {
                    "patient": appointment.patient_id,
                    "date": day.isoformat(),
                    "acts": [{"code": "G"}],
                },
                "content_type": "application/json",
            },
        ),
    )


PAIRS = {
    "invoice detail": (invoice_detail, "billing.invoice.read"),
    "invoice detail (practitioner)": (invoice_detail_practitioner, "billing.invoice.read"),
    "invoice list": (invoice_list, "billing.invoice.list"),
    "pending conversions": (pending_conversions, "billing.invoice.list"),
    "claims": (claims, "billing.claim.list"),
    "worklist": (worklist, "billing.claim.list"),
    "worklist export": (worklist_export, "billing.worklist.export"),
    "batch file": (batch_file, "billing.batch.download"),
    "return files": (return_files, "billing.return.list"),
    "preview": (preview, "billing.invoice.preview"),
}


@pytest.mark.parametrize("name", list(PAIRS))
def test_page_and_api_leave_the_same_journal_entry(
    name: str, client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    build, action = PAIRS[name]
    pair = build(staff, site)
    client = client_for(pair.role)
    method, url, kwargs = pair.page
    page = journal_of(client, method, url, **kwargs)
    method, url, kwargs = pair.api
    api = journal_of(client, method, url, **kwargs)
    assert page == api
    assert len(page) == 1
    entry_action, object_type, object_id, ids = page[0]
    assert entry_action == action
    # A detail names its object; a list names what it showed (never an empty journal line).
    assert object_id or ids
    assert object_type.startswith(("billing.", "patients."))
    entry = AuditEntry.objects.filter(action=action).latest("id")
    assert entry.actor == staff[pair.role]


def test_lists_journal_the_ids_shown(
    client_for: ClientFor, staff: dict[str, User], site: Site, centre: object
) -> None:
    from tests.factories import make_staff

    mine = _invoices(staff, site, 2)
    colleague = make_staff("soignant", centre=centre, sites=[site])  # type: ignore[arg-type]
    theirs = make_invoice(by=colleague, practitioner=colleague, site=site)
    everything = tuple(sorted(str(i.pk) for i in [*mine, theirs]))
    entries = journal_of(client_for("accueil"), "get", reverse("api:invoices"))
    assert entries == [("billing.invoice.list", "billing.invoice", "", everything)]
    # A practitioner's list names only their own invoices: what they were shown.
    own = journal_of(client_for("soignant"), "get", reverse("api:invoices"))
    assert own == [
        ("billing.invoice.list", "billing.invoice", "", tuple(sorted(str(i.pk) for i in mine)))
    ]


def test_the_claim_file_is_journaled_in_the_api_as_on_the_page(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    """The finding of issue 14: the file full of NIRs was read through the API unjournaled."""
    _invoices(staff, site, 1)
    [batch_id] = batches.batches_build(by=staff["facturation"])
    response = client_for("facturation").get(reverse("api:batch-download", args=[batch_id]))
    assert response.status_code == 200
    assert response.content.startswith(b"H|PASSERELLE-LOT|1|")
    entry = AuditEntry.objects.get(action="billing.batch.download")
    assert (entry.object_type, entry.object_id, entry.actor) == (
        "billing.batch",
        str(batch_id),
        staff["facturation"],
    )
    # Refused reads leave no read entry: a role without access, an unknown batch.
    assert (
        client_for("direction").get(reverse("api:batch-download", args=[batch_id])).status_code
        == 403
    )
    missing = client_for("facturation").get(reverse("api:batch-download", args=[batch_id + 99]))
    assert missing.status_code == 404
    assert missing.json()["kind"] == "not_found"
    assert AuditEntry.objects.filter(action="billing.batch.download").count() == 1


def test_page_only_reads_are_journaled(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    invoice = _invoices(staff, site, 1)[0]
    payment = payments.payment_record(
        invoice=invoice, amount=invoice.patient_balance, method="cash", by=staff["accueil"]
    )
    receipt = journal_of(
        client_for("accueil"), "get", reverse("billing:receipt_pdf", args=[payment.pk])
    )
    assert receipt == [("billing.receipt.print", "billing.invoice", str(invoice.pk), ())]
    correct = journal_of(
        client_for("facturation"), "get", reverse("billing:invoice_correct", args=[invoice.pk])
    )
    assert correct == [("billing.invoice.read", "billing.invoice", str(invoice.pk), ())]
    invoice.issues = ["NIR manquant"]
    invoice.save(update_fields=["issues"])
    Claim.objects.filter(invoice=invoice).update(status=ClaimStatus.DRAFT)
    dashboard = journal_of(client_for("facturation"), "get", reverse("billing:dashboard"))
    assert dashboard == [("billing.invoice.list", "billing.invoice", "", (str(invoice.pk),))]


def test_an_invoice_outside_ones_rights_is_not_found_through_both_doors(
    client_for: ClientFor, staff: dict[str, User], site: Site, centre: object
) -> None:
    from tests.factories import make_staff

    colleague = make_staff("soignant", centre=centre, sites=[site])  # type: ignore[arg-type]
    theirs = make_invoice(by=colleague, practitioner=colleague, site=site)
    client = client_for("soignant")
    assert client.get(reverse("billing:invoice_detail", args=[theirs.pk])).status_code == 404
    api = client.get(reverse("api:invoice-detail", args=[theirs.pk]))
    assert api.status_code == 404
    assert api.json() == {
        "detail": "Facture introuvable (ou hors de vos droits).",
        "kind": "not_found",
        "field": "",
    }
    assert not AuditEntry.objects.filter(action="billing.invoice.read").exists()


def test_an_empty_list_showed_nobody_and_is_not_journaled(client_for: ClientFor) -> None:
    assert journal_of(client_for("facturation"), "get", reverse("api:claims")) == []
    assert journal_of(client_for("facturation"), "get", reverse("billing:claims_to_work")) == []
