"""The care-sheet boundary: the simulator enforces the contract; the close secures the sheet."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing import selectors
from billing.fse import FseAct, FseRequest, SimulatorFseBackend, required_field_refusals
from billing.models import ClaimStatus, FseMode, Invoice
from billing.services import fse
from centre.models import AuditEntry, Site, User
from tests.billing.factories import amo_claim, built_and_sent, make_invoice
from tests.billing.test_views import ClientFor
from tests.billing.test_views import appointment_for as _appointment_for

_hours = iter(range(1, 24))


def appointment_for(practitioner: User, site: Site, accueil: User, **patient: object) -> object:
    """An arrived appointment earlier today, one hour apart from the others."""
    from appointments.models import Appointment

    hours = next(_hours)
    appointment = _appointment_for(practitioner, site, accueil, **patient)
    start = appointment.start - datetime.timedelta(hours=hours)
    Appointment.objects.filter(pk=appointment.pk).update(
        start=start, end=start + datetime.timedelta(minutes=20)
    )
    return appointment


pytestmark = pytest.mark.django_db
ON = datetime.date(2025, 3, 10)


def _request(**changes: object) -> FseRequest:
    values: dict[str, object] = {
        "invoice_number": "F20250000001",
        "date_of_care": ON,
        "practitioner_rpps": "10100000017",
        "insured_nir": "185067511212345",
        "beneficiary_nir": "185067511212345",
        "birth_date": datetime.date(1985, 6, 1),
        "birth_rank": 1,
        "caisse_code": "861",
        "acts": (FseAct("G", Decimal("1"), Decimal("30.00"), ON),),
        "total": Decimal("30.00"),
        "amo": Decimal("21.00"),
    }
    values.update(changes)
    return FseRequest(**values)  # type: ignore[arg-type]


def test_the_simulator_enforces_the_required_fields_and_simulates_failures(
    settings: object,
) -> None:
    backend = SimulatorFseBackend()
    ok = backend.secure(_request())
    assert (ok.secured, ok.mode, ok.sheet_number) == (True, "card", "SIM-F20250000001")
    assert backend.secure(_request(card_present=False)).mode == "degraded"
    refused = backend.secure(_request(insured_nir="", acts=()))
    assert not refused.secured
    assert [r.code for r in refused.refusals] == ["NIR", "ACT"]
    wrong_day = _request(acts=(FseAct("G", Decimal("1"), Decimal("30"), ON.replace(day=11)),))
    assert [r.code for r in required_field_refusals(wrong_day)] == ["DAT"]
    settings.BILLING_FSE_SIMULATE = "card_absent"  # type: ignore[attr-defined]
    assert backend.secure(_request()).mode == "degraded"
    settings.BILLING_FSE_SIMULATE = "refusal"  # type: ignore[attr-defined]
    assert [r.code for r in backend.secure(_request()).refusals] == ["SIM"]


def test_secured_with_the_card_the_claim_has_the_payment_delay(
    staff: dict[str, User], site: Site
) -> None:
    invoice = make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
    result = fse.fse_secure(invoice_id=invoice.pk, by=staff["soignant"])
    invoice.refresh_from_db()
    assert (invoice.fse_mode, invoice.fse_number) == (FseMode.CARD, f"SIM-{invoice.number}")
    assert result.signed_at == invoice.fse_signed_at
    assert AuditEntry.objects.filter(
        action="billing.fse.secure", object_id=str(invoice.pk)
    ).exists()
    # Again: nothing changes.
    assert fse.fse_secure(invoice_id=invoice.pk, by=staff["soignant"]).sheet_number == (
        invoice.fse_number
    )
    built_and_sent(staff["facturation"])
    claim = amo_claim(invoice)
    claim.status, claim.acknowledged_on = ClaimStatus.ACKNOWLEDGED, datetime.date(2025, 3, 3)
    claim.save()
    assert list(selectors.overdue_claims(datetime.date(2025, 3, 13))) == [claim]


def test_card_absent_timeout_and_refusal_at_the_close(
    client_for: ClientFor, staff: dict[str, User], site: Site, settings: object
) -> None:
    client = client_for("soignant")
    absent = appointment_for(staff["soignant"], site, staff["accueil"])
    page = client.post(
        reverse("billing:close_consultation", args=[absent.pk]),
        {"acts": "G", "vitale": "0"},
        follow=True,
    )
    assert "mode dégradé" in page.content.decode()
    assert Invoice.objects.get(appointment=absent).fse_mode == FseMode.DEGRADED
    settings.BILLING_FSE_SIMULATE = "timeout"  # type: ignore[attr-defined]
    late = appointment_for(staff["soignant"], site, staff["accueil"])
    client.post(reverse("billing:close_consultation", args=[late.pk]), {"acts": "G"})
    assert Invoice.objects.get(appointment=late).fse_mode == FseMode.DEGRADED
    degraded = AuditEntry.objects.filter(action="billing.fse.degraded")
    assert degraded.count() == 2
    settings.BILLING_FSE_SIMULATE = ""  # type: ignore[attr-defined]
    no_nir = appointment_for(staff["soignant"], site, staff["accueil"], nir="")
    page = client.post(
        reverse("billing:close_consultation", args=[no_nir.pk]), {"acts": "G"}, follow=True
    )
    assert "NIR de l&#x27;assuré·e absent ou invalide" in page.content.decode()
    assert Invoice.objects.get(appointment=no_nir).fse_mode == ""
    assert AuditEntry.objects.filter(action="billing.fse.refuse").count() == 1
    assert selectors.clerk_worklist().degraded == 2
    # Once the NIR is entered, the sheet is secured from the invoice.
    invoice = Invoice.objects.get(appointment=no_nir)
    page = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Sécuriser la feuille de soins" in page
    Invoice.objects.filter(pk=invoice.pk).update(
        coverage={**invoice.coverage, "insured_nir": "185067511212345"}
    )
    client.post(reverse("billing:invoice_fse", args=[invoice.pk]), {"vitale": "1"})
    assert Invoice.objects.get(pk=invoice.pk).fse_mode == FseMode.CARD


def test_the_api_close_secures_the_sheet(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    appointment = appointment_for(staff["soignant"], site, staff["accueil"])
    answer = client_for("soignant").post(
        reverse("api:invoices"),
        {"appointment": appointment.pk, "acts": [{"code": "G"}], "vitale_card": False},
        content_type="application/json",
    )
    assert answer.status_code == 201
    body = answer.json()
    assert (body["fse_mode"], body["fse_number"]) == ("degraded", f"SIM-{body['number']}")


@pytest.mark.parametrize("card", [True, False])
def test_close_with_or_without_card_lot_arl_return_reconciled(
    card: bool, client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    """Close (card read or absent) → sheet secured or degraded → lot → sent → ARL → return
    with one payment, one reject and one lump sum → reconciled; the reject is corrected and
    re-sent. The 7-day delay is watched for the sheet secured with the card only."""
    from billing.formats import (
        AckRecord,
        PaymentRecord,
        RejectRecord,
        UnmatchedKind,
        UnmatchedRecord,
        return_lines,
    )
    from billing.models import Claim, ReconciliationItem
    from billing.services import claims, returns

    doctor = client_for("soignant")
    closed = []
    for _ in range(2):
        appointment = appointment_for(staff["soignant"], site, staff["accueil"])
        doctor.post(
            reverse("billing:close_consultation", args=[appointment.pk]),
            {"acts": "G", "vitale": "1" if card else "0"},
        )
        closed.append(Invoice.objects.get(appointment=appointment))
    modes = set(Invoice.objects.values_list("fse_mode", flat=True))
    assert modes == {FseMode.CARD if card else FseMode.DEGRADED}
    clerk = staff["facturation"]
    [batch_id] = built_and_sent(clerk)
    paid, rejected = (amo_claim(i) for i in closed)
    today = datetime.date.today()
    text = "".join(
        return_lines(
            payer_type="AMO",
            payer_code="861",
            created_on=today,
            records=[
                AckRecord(0, 1, True, today, "", ""),
                PaymentRecord(0, paid.reference, Decimal("21.00"), today, "VIR", "", ""),
                RejectRecord(0, rejected.reference, "R03", ""),
                UnmatchedRecord(
                    0, UnmatchedKind.LUMP_SUM, Decimal("50.00"), today, "VIR", "", "", ""
                ),
            ],
        )
    ).encode()
    rf, _ = returns.return_import(
        open_lines=lambda: text.splitlines(keepends=True), filename="r.txt", by=clerk
    )
    assert (rf.paid_total, rf.rejected_count, rf.unmatched_total) == (
        Decimal("21.00"),
        1,
        Decimal("50.00"),
    )
    assert ReconciliationItem.objects.get().kind == "F"
    new = claims.claim_resubmit(claim=Claim.objects.get(pk=rejected.pk), by=clerk)
    [second] = built_and_sent(clerk)
    assert second != batch_id and Claim.objects.get(pk=new.pk).status == "sent"
    # The corrected claim is acknowledged and then waits: overdue after 7 working days only
    # if its sheet was secured with the card.
    Claim.objects.filter(pk=new.pk).update(
        status=ClaimStatus.ACKNOWLEDGED, acknowledged_on=datetime.date(2025, 3, 3)
    )
    overdue = selectors.overdue_claims(datetime.date(2025, 3, 13))
    assert overdue.filter(pk=new.pk).exists() is card
