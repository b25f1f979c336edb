"""New versions of an invoice: PASS de ville conversion and correcting acts after a reject."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from billing import selectors
from billing.errors import BillingError
from billing.formats import RejectRecord, return_lines
from billing.models import Batch, Claim, ClaimStatus, Invoice
from billing.services import invoices, returns
from centre.models import AuditEntry, Site, User
from patients.models import Coverage, CoverageKind
from tests.billing.factories import ON, built_and_sent, make_invoice, make_patient

D = Decimal
JANUARY = datetime.date(2025, 1, 15)
pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]


def claims_of(invoice: Invoice) -> dict[str, tuple[str, Decimal, str]]:
    return {c.payer_type: (c.payer_code, c.amount, c.status) for c in invoice.claims.all()}


def january_without_rights(staff: dict[str, User], site: Site) -> Invoice:
    patient = make_patient(amo=False, medecin_traitant=False, nir="")
    invoice = make_invoice(
        by=staff["soignant"], practitioner=staff["soignant"], site=site, patient=patient, on=JANUARY
    )
    assert (invoice.total, invoice.patient_due, invoice.pending) == (D("30.00"), 0, D("30.00"))
    assert claims_of(invoice) == {"ATT": ("PASS", D("30.00"), "ready")}
    return invoice


def test_ame_granted_in_march_from_january_converts_the_january_consultation(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    invoice = january_without_rights(staff, site)
    built_and_sent(staff["facturation"])  # sent to the PASS agreement meanwhile
    assert Claim.objects.get(invoice=invoice).status == ClaimStatus.SENT
    assert list(selectors.pending_convertible()) == []  # no rights yet: stays pending
    with pytest.raises(BillingError, match="Toujours aucun droit"):
        invoices.invoice_convert_pending(invoice=invoice, by=staff["facturation"])
    # In March the mediator records AME, effective from 1 January.
    Coverage.objects.create(
        patient=invoice.patient, kind=CoverageKind.AME, start=datetime.date(2025, 1, 1)
    )
    # With the immatriculation number of the AME attestation (an AME claim without one is
    # left « à vérifier »: tests/billing/test_rules.py).
    invoice.patient.nir = "185067511212345"
    invoice.patient.save(update_fields=["nir"])
    assert list(selectors.pending_convertible()) == [invoice]
    clerk = client_for("facturation")
    page = clerk.get(reverse("billing:pending_conversions")).content.decode()
    assert invoice.number in page
    response = clerk.post(reverse("billing:pending_convert"), {"invoice": [invoice.pk]})
    assert response.status_code == 302
    new = Invoice.objects.get(replaces=invoice)
    # AME: 100 % of the base paid by the State through the CPAM, nothing else (art. L251-1
    # CASF; docs/billing.md « Qui paie quoi »).
    assert (new.version, new.date_of_care, new.amo, new.pending, new.patient_due, new.pf) == (
        2,
        JANUARY,
        D("30.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
    )
    assert claims_of(new) == {"AMO": ("861", D("30.00"), "ready")}
    invoice.refresh_from_db()
    assert invoice.superseded_at is not None
    assert claims_of(invoice) == {"ATT": ("PASS", D("30.00"), "cancelled")}
    entry = AuditEntry.objects.get(action="billing.invoice.convert_pending")
    assert entry.object_id == str(new.pk)
    assert entry.changes["amo"] == ["0.00", "30.00"]
    assert entry.extra["cancelled_claims"] == [f"{invoice.number}-ATT1"]
    assert AuditEntry.objects.filter(
        action="billing.invoice.supersede", object_id=str(invoice.pk)
    ).exists()
    assert list(selectors.pending_convertible()) == []
    built_and_sent(staff["facturation"])
    assert Batch.objects.get(payer_type="AMO").claims_count == 1


def test_amo_opened_retroactively_splits_like_any_consultation_patient_asked_nothing(
    staff: dict[str, User], site: Site
) -> None:
    invoice = january_without_rights(staff, site)
    Coverage.objects.create(
        patient=invoice.patient,
        kind=CoverageKind.AMO,
        start=datetime.date(2025, 1, 1),
        scheme_code="01",
        caisse_code="931",
        insured_nir="185067511212345",
    )
    Coverage.objects.create(
        patient=invoice.patient,
        kind=CoverageKind.MEDECIN_TRAITANT,
        start=datetime.date(2025, 1, 1),
        doctor_in_centre=True,
    )
    [new] = invoices.invoices_convert_pending(
        invoices=selectors.pending_convertible(), by=staff["facturation"]
    )
    # G 30.00 in the care pathway: AMO 70 % = 21.00; the ticket modérateur 9.00 would fall on
    # the patient (no mutuelle) and stays with the "rights pending" payer; PF 2.00 recovered
    # later by the CPAM.
    assert (new.amo, new.patient_due, new.pending, new.pf) == (
        D("21.00"),
        D("0.00"),
        D("9.00"),
        D("2.00"),
    )
    assert claims_of(new) == {
        "AMO": ("931", D("21.00"), "ready"),
        "ATT": ("PASS", D("9.00"), "ready"),
    }


def test_rights_never_opened_leave_the_consultation_with_the_pending_payer(
    staff: dict[str, User], site: Site
) -> None:
    invoice = january_without_rights(staff, site)
    # Rights opened, but only from March: the January care stays with the PASS.
    Coverage.objects.create(
        patient=invoice.patient, kind=CoverageKind.AME, start=datetime.date(2025, 3, 1)
    )
    assert list(selectors.pending_convertible()) == []
    with pytest.raises(BillingError):
        invoices.invoice_convert_pending(invoice=invoice, by=staff["facturation"])
    assert claims_of(Invoice.objects.get(pk=invoice.pk)) == {"ATT": ("PASS", D("30.00"), "ready")}
    assert not Invoice.objects.filter(replaces=invoice).exists()


def test_correcting_the_acts_after_a_reject_makes_a_new_version(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    invoice = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        acts=[("VG", None), ("MD", None)],
    )
    assert invoice.total == D("40.00")  # VG 30.00 + MD 10.00 (justified home visit)
    built_and_sent(staff["facturation"])
    claim = invoice.claims.get()
    # While the payer examines the claim, the invoice cannot be replaced.
    with pytest.raises(BillingError, match="Envoyée"):
        invoices.invoice_correct(
            invoice=invoice, acts=[invoices.ActChoice("G")], reason="x", by=staff["facturation"]
        )
    text = "".join(
        return_lines(
            payer_type="AMO",
            payer_code="861",
            created_on=ON,
            records=[RejectRecord(0, claim.reference, "R07", "")],
        )
    )
    returns.return_import(
        open_lines=lambda: text.encode().splitlines(keepends=True), filename="r.txt", by=None
    )
    clerk = client_for("facturation")
    page = clerk.get(reverse("billing:invoice_correct", args=[invoice.pk])).content.decode()
    assert 'value="VG"' in page
    refused = clerk.post(
        reverse("billing:invoice_correct", args=[invoice.pk]), {"acts": "ZZZ", "reason": "R07"}
    )
    assert "inconnu de la nomenclature" in refused.content.decode()
    assert not Invoice.objects.filter(replaces=invoice).exists()
    response = clerk.post(
        reverse("billing:invoice_correct", args=[invoice.pk]),
        {"acts": "G", "reason": "Rejet R07 : consultation au cabinet, pas une visite"},
    )
    new = Invoice.objects.get(replaces=invoice)
    assert response["Location"] == reverse("billing:invoice_detail", args=[new.pk])
    assert (new.version, new.total, new.amo, new.patient_due) == (
        2,
        D("30.00"),
        D("21.00"),
        D("9.00"),
    )
    assert claims_of(new) == {"AMO": ("861", D("21.00"), "ready")}
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    entry = AuditEntry.objects.get(action="billing.invoice.correct")
    assert entry.changes["acts"] == [["VG×1.00", "MD×1.00"], ["G×1.00"]]
    assert entry.changes["total"] == ["40.00", "30.00"]
    # The old version says it was replaced; it cannot be corrected twice.
    old_page = clerk.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert f"facture {new.number} (version 2)" in old_page
    with pytest.raises(BillingError, match="déjà été remplacée"):
        invoices.invoice_correct(
            invoice=invoice, acts=[invoices.ActChoice("G")], reason="x", by=staff["facturation"]
        )
    # The new claim goes into the next batch; the cashier sees one balance, not two.
    built_and_sent(staff["facturation"])
    assert Batch.objects.get(number=2).claims_count == 1
    assert list(Invoice.objects.with_patient_balance()) == [new]


def test_api_lists_converts_and_corrects(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    invoice = january_without_rights(staff, site)
    Coverage.objects.create(
        patient=invoice.patient, kind=CoverageKind.AME, start=datetime.date(2025, 1, 1)
    )
    clerk = client_for("facturation")
    listed = clerk.get(reverse("api:invoice-pending-conversions")).json()
    assert [i["number"] for i in listed["results"]] == [invoice.number]
    converted = clerk.post(
        reverse("api:invoice-convert-pending", args=[invoice.pk]),
        {"reason": "AME accordée le 12 mars, effet au 1er janvier"},
        content_type="application/json",
    )
    assert converted.status_code == 201
    body = converted.json()
    assert (body["version"], body["replaces"], body["amo"], body["pending"]) == (
        2,
        invoice.pk,
        "30.00",
        "0.00",
    )
    again = clerk.post(
        reverse("api:invoice-convert-pending", args=[invoice.pk]),
        {},
        content_type="application/json",
    )
    # The old version was replaced: a conflict with the state of the data, not a bad request.
    assert again.status_code == 409
    assert again.json() == {
        "detail": "Cette facture a déjà été remplacée par une nouvelle version.",
        "kind": "conflict",
        "field": "",
    }
    corrected = clerk.post(
        reverse("api:invoice-correct", args=[body["id"]]),
        {"acts": [{"code": "ZZZ"}], "reason": "essai"},
        content_type="application/json",
    )
    assert corrected.status_code == 400
    assert corrected.json() == {"acts": ["Acte « ZZZ » inconnu de la nomenclature."]}
