"""Invoices from the fee schedule, batches and returns, all or nothing."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import selectors
from billing.errors import BillingError
from billing.formats import AckRecord, PaymentRecord, RejectRecord, ReturnFileError, return_lines
from billing.models import (
    Act,
    Batch,
    BatchStatus,
    Claim,
    ClaimStatus,
    FseMode,
    Invoice,
    Payment,
    ReconciliationItem,
    ReturnFile,
)
from billing.services import batches, claims, invoices, payments, returns, tariffs
from centre.models import AuditEntry, Site, User
from tests.billing.factories import ON, amo_claim, built_and_sent, make_invoice, make_patient

D = Decimal
pytestmark = pytest.mark.django_db


def lines_of(text: str) -> Callable[[], list[bytes]]:
    data = text.encode()
    return lambda: data.splitlines(keepends=True)


def payer_return(claim_list: list[Claim], records: list[object], payer: str = "861") -> str:
    return "".join(
        return_lines(payer_type="AMO", payer_code=payer, created_on=ON, records=records)  # type: ignore[arg-type]
    )


@pytest.fixture
def soignant(staff: dict[str, User]) -> User:
    return staff["soignant"]


def test_invoice_from_the_fee_schedule_freezes_tariff_and_coverage(
    staff: dict[str, User], site: Site
) -> None:
    invoice = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        patient=make_patient(mutuelle=True),
    )
    assert (invoice.total, invoice.amo, invoice.amc, invoice.patient_due, invoice.pf) == (
        D("30.00"),
        D("21.00"),
        D("9.00"),
        D("0.00"),
        D("2.00"),
    )
    assert invoice.number.startswith("F2025")
    assert invoice.coverage["amo_caisse"] == "861"
    line = invoice.lines.get()
    assert (line.code, line.unit_price, line.amo) == ("G", D("30.00"), D("21.00"))
    claim_list = {c.payer_type: (c.amount, c.status, c.payer_code) for c in invoice.claims.all()}
    assert claim_list == {
        "AMO": (D("21.00"), "ready", "861"),
        "AMC": (D("9.00"), "ready", "12345678"),
    }
    assert AuditEntry.objects.filter(
        action="billing.invoice.create", object_id=str(invoice.pk)
    ).exists()


def test_tariff_change_on_a_date_applies_from_that_date_only(
    staff: dict[str, User], site: Site
) -> None:
    before = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        on=datetime.date(2024, 12, 1),
    )
    assert (before.total, before.amo, before.patient_due, before.pf) == (
        D("26.50"),
        D("18.55"),
        D("7.95"),
        D("2.00"),
    )
    act = Act.objects.get(code="G")
    tariffs.tariff_add(
        act=act,
        unit_price=D("32.00"),
        amo_rate=D("0.70"),
        valid_from=datetime.date(2026, 6, 1),
        source="Test",
        to_verify=True,
        by=staff["direction"],
    )
    may = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        on=datetime.date(2026, 5, 31),
    )
    june = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        on=datetime.date(2026, 6, 1),
    )
    assert (may.total, june.total, june.amo) == (D("30.00"), D("32.00"), D("22.40"))
    before.refresh_from_db()
    assert before.total == D("26.50")


def test_pf_1_euro_before_15_may_2024(staff: dict[str, User], site: Site) -> None:
    inv = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        on=datetime.date(2024, 3, 1),
    )
    assert inv.pf == D("1.00")


def test_act_not_allowed_for_the_profession_is_refused(staff: dict[str, User], site: Site) -> None:
    with pytest.raises(BillingError, match="AMI n'est pas facturable"):
        make_invoice(
            by=staff["soignant"], practitioner=staff["soignant"], site=site, acts=[("AMI", None)]
        )
    assert not Claim.objects.exists()


def test_missing_nir_leaves_claims_to_check_until_fixed(staff: dict[str, User], site: Site) -> None:
    patient = make_patient(nir="")
    invoice = make_invoice(
        by=staff["soignant"], practitioner=staff["soignant"], site=site, patient=patient
    )
    assert invoice.issues == ["NIR de l'assuré·e manquant : le saisir dans le dossier patient."]
    assert amo_claim(invoice).status == ClaimStatus.DRAFT
    patient.coverages.filter(kind="amo").update(insured_nir="185067511212345")
    invoices.invoice_recheck(invoice=invoice, by=staff["facturation"])
    assert amo_claim(invoice).status == ClaimStatus.READY


def test_payment_at_the_desk_and_its_limits(staff: dict[str, User], site: Site) -> None:
    invoice = make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
    assert invoice.patient_due == D("9.00")
    with pytest.raises(BillingError, match="dépasse"):
        payments.payment_record(invoice=invoice, amount=D("10"), method="cash", by=staff["accueil"])
    payment = payments.payment_record(
        invoice=invoice, amount=D("9"), method="card", by=staff["accueil"]
    )
    invoice.refresh_from_db()
    assert invoice.patient_balance == D("0.00")
    assert payment.receipt_number.startswith("R")


def build_world(staff: dict[str, User], site: Site, n: int = 3) -> list[Claim]:
    invoice_list = [
        make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
        for _ in range(n)
    ]
    return [amo_claim(i) for i in invoice_list]


def test_batches_are_numbered_per_payer_and_never_built_twice(
    staff: dict[str, User], site: Site
) -> None:
    claim_list = build_world(staff, site)
    other = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        patient=make_patient(caisse="751"),
    )
    ids = batches.batches_build(by=staff["facturation"])
    assert len(ids) == 2
    batch = Batch.objects.get(payer_code="861")
    # Built: only a file exists (« fichier prêt »), the claims are « dans un lot ».
    assert (batch.number, batch.claims_count, batch.total_amount, batch.status) == (
        1,
        3,
        D("63.00"),
        BatchStatus.BUILT,
    )
    assert set(Claim.objects.filter(batch=batch).values_list("status", flat=True)) == {"in_batch"}
    batches.batch_send(batch_id=batch.pk, by=staff["facturation"])
    batch.refresh_from_db()
    assert (batch.status, batch.send_count) == (BatchStatus.SENT, 1)
    assert set(Claim.objects.filter(batch=batch).values_list("status", flat=True)) == {"sent"}
    with batch.file.open("rb") as fh:
        text = fh.read().decode()
    assert text.splitlines()[0].startswith("H|PASSERELLE-LOT|1|")
    assert text.splitlines()[-1] == "T|3|63.00"
    assert f"F|{claim_list[0].reference}|" in text
    assert built_and_sent(staff["facturation"]) == []  # nothing ready any more
    make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
    built_and_sent(staff["facturation"])
    assert Batch.objects.get(payer_code="861", number=2).claims_count == 1
    assert amo_claim(other).batch.payer_code == "751"


def test_return_with_payment_partial_payment_and_reject(staff: dict[str, User], site: Site) -> None:
    claim_list = build_world(staff, site)
    built_and_sent(staff["facturation"])
    batch = Batch.objects.get()
    text = payer_return(
        claim_list,
        [
            AckRecord(0, batch.number, True, ON, "", ""),
            PaymentRecord(0, claim_list[0].reference, D("21.00"), ON, "VIR-1", "", ""),
            PaymentRecord(0, claim_list[1].reference, D("15.00"), ON, "VIR-1", "R07", ""),
            RejectRecord(0, claim_list[2].reference, "R01", ""),
        ],
    )
    rf, created = returns.return_import(
        open_lines=lines_of(text), filename="r.txt", by=staff["facturation"]
    )
    assert created
    assert (rf.acks_count, rf.paid_count, rf.partial_count, rf.rejected_count, rf.paid_total) == (
        1,
        1,
        1,
        1,
        D("36.00"),
    )
    c0, c1, c2 = (Claim.objects.get(pk=c.pk) for c in claim_list)
    assert (c0.status, c0.paid_amount) == ("paid", D("21.00"))
    assert (c1.status, c1.outstanding, c1.reject_label) == (
        "partly_paid",
        D("6.00"),
        "Montant incohérent avec le tarif",
    )
    assert (c2.status, c2.reject_label) == ("rejected", "Droits fermés à la date des soins")
    batch.refresh_from_db()
    assert (batch.status, batch.paid_on) == (BatchStatus.PAID, timezone.localdate())  # all answered
    # Same file again: nothing counted twice.
    _, again = returns.return_import(open_lines=lines_of(text), filename="r.txt", by=None)
    assert not again
    assert Payment.objects.count() == 2
    # The clerk works the reject and the difference.
    new = claims.claim_resubmit(claim=c2, by=staff["facturation"])
    assert (new.status, new.amount, new.replaces_id) == ("ready", D("21.00"), c2.pk)
    claims.claim_bill_patient(claim=c1, by=staff["facturation"])
    assert c1.invoice.__class__.objects.get(pk=c1.invoice_id).patient_due == D("15.00")
    with pytest.raises(BillingError):
        claims.claim_write_off(claim=c0, reason="x", by=staff["facturation"])
    built_and_sent(staff["facturation"])
    assert Batch.objects.get(number=2).claims_count == 1


def test_lines_matching_no_claim_go_to_reconcile_only_malformed_files_are_refused(
    staff: dict[str, User], site: Site
) -> None:
    claim_list = build_world(staff, site)
    built_and_sent(staff["facturation"])
    text = payer_return(
        claim_list,
        [
            PaymentRecord(0, claim_list[0].reference, D("21.00"), ON, "VIR-1", "", ""),
            PaymentRecord(0, claim_list[1].reference, D("25.00"), ON, "VIR-1", "", ""),  # > claimed
            RejectRecord(0, "F2025999-AMO1", "R02", ""),  # unknown
            RejectRecord(0, claim_list[2].reference, "R01", ""),
            RejectRecord(0, claim_list[0].reference, "R02", ""),  # named twice
            AckRecord(0, 99, True, ON, "", ""),  # no such lot
        ],
    )
    rf, created = returns.return_import(open_lines=lines_of(text), filename="r.txt", by=None)
    assert created
    assert (rf.paid_count, rf.rejected_count, rf.acks_count, rf.unmatched_count) == (1, 1, 0, 4)
    assert (rf.paid_total, rf.unmatched_total) == (D("21.00"), D("25.00"))
    c0, c1, c2 = (Claim.objects.get(pk=c.pk) for c in claim_list)
    assert (c0.status, c1.status, c2.status) == ("paid", "sent", "rejected")
    reasons = list(ReconciliationItem.objects.order_by("line").values_list("line", "reason"))
    assert reasons == [
        (3, "Montant payé 25.00 € supérieur au montant demandé 21.00 €."),
        (4, "Demande F2025999-AMO1 inconnue."),
        (6, f"La demande {claim_list[0].reference} figure deux fois (déjà ligne 2)."),
        (7, "Lot n° 99 inconnu pour cet organisme."),
    ]
    # Another payer's claims, or a claim already answered, are set aside the same way.
    wrong_payer = payer_return(
        claim_list, [RejectRecord(0, claim_list[1].reference, "R02", "")], payer="751"
    )
    rf2, _ = returns.return_import(open_lines=lines_of(wrong_payer), filename="b.txt", by=None)
    answered = payer_return(claim_list, [RejectRecord(0, claim_list[0].reference, "R02", "")])
    rf3, _ = returns.return_import(open_lines=lines_of(answered), filename="c.txt", by=None)
    assert [i.reason for i in ReconciliationItem.objects.filter(return_file__in=[rf2, rf3])] == [
        f"La demande {claim_list[1].reference} n'a pas été envoyée à cet organisme.",
        f"La demande {claim_list[0].reference} est « Payée » : elle n'attend ni paiement ni rejet.",
    ]
    # A malformed file is refused as a whole: nothing imported.
    truncated = "\n".join(text.splitlines()[:-1])
    with pytest.raises(ReturnFileError, match="fin T manquant"):
        returns.return_import(open_lines=lines_of(truncated), filename="t.txt", by=None)
    assert ReturnFile.objects.count() == 3
    assert Payment.objects.count() == 1


def test_negative_acknowledgement_rejects_the_whole_batch(
    staff: dict[str, User], site: Site
) -> None:
    claim_list = build_world(staff, site, n=2)
    built_and_sent(staff["facturation"])
    text = payer_return(claim_list, [AckRecord(0, 1, False, ON, "R02", "")])
    returns.return_import(open_lines=lines_of(text), filename="arl.txt", by=None)
    assert Batch.objects.get().status == BatchStatus.REFUSED
    assert set(Claim.objects.values_list("status", flat=True)) == {"rejected"}


def test_overdue_after_seven_working_days_and_ageing(staff: dict[str, User], site: Site) -> None:
    claim_list = build_world(staff, site, n=2)
    built_and_sent(staff["facturation"])
    # Acknowledged Monday 3 March 2025: 7 working days end Wednesday 12 March.
    Claim.objects.update(status=ClaimStatus.ACKNOWLEDGED, acknowledged_on=datetime.date(2025, 3, 3))
    # The 7-day delay applies to sheets secured with the Vitale card only.
    assert selectors.overdue_claims(datetime.date(2025, 3, 13)).count() == 0
    Invoice.objects.update(fse_mode=FseMode.CARD)
    assert selectors.overdue_claims(datetime.date(2025, 3, 12)).count() == 0
    assert selectors.overdue_claims(datetime.date(2025, 3, 13)).count() == 2
    # 1 May and 8 May are public holidays: on Monday 12 May, the claims acknowledged before
    # Tuesday 29 April have had their 7 working days.
    assert selectors.overdue_cutoff(datetime.date(2025, 5, 12)) == datetime.date(2025, 4, 29)
    buckets = selectors.unpaid_ageing(datetime.date(2025, 4, 20))
    assert [(b.label, b.count, b.amount) for b in buckets] == [
        ("0–30 jours", 0, D("0.00")),
        ("31–60 jours", 2, D("42.00")),
        ("61–90 jours", 0, D("0.00")),
        ("plus de 90 jours", 0, D("0.00")),
    ]
    assert claim_list
