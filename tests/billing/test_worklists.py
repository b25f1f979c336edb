"""Returns as they come (lines matching no claim « à rapprocher ») and the clerk's worklists."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from billing import selectors, worklists
from billing.errors import BillingError, BillingNotFound
from billing.formats import (
    AckRecord,
    PaymentRecord,
    RejectRecord,
    UnmatchedKind,
    UnmatchedRecord,
    return_lines,
)
from billing.models import (
    Batch,
    BatchStatus,
    Claim,
    ClaimStatus,
    ItemStatus,
    Payment,
    ReconciliationItem,
)
from billing.services import batches, claims, reconciliation, returns
from centre.models import AuditEntry, Site, User
from tests.billing.factories import ON, amo_claim, built_and_sent, make_invoice, make_patient
from tests.billing.test_views import ClientFor

D = Decimal
pytestmark = pytest.mark.django_db


def _import(records: list[object], payer: str = "861", name: str = "r.txt") -> object:
    text = "".join(
        return_lines(payer_type="AMO", payer_code=payer, created_on=ON, records=records)  # type: ignore[arg-type]
    ).encode()
    rf, _ = returns.return_import(
        open_lines=lambda: text.splitlines(keepends=True), filename=name, by=None
    )
    return rf


def _claims(staff: dict[str, User], site: Site, n: int, **patient: object) -> list[Claim]:
    return [
        amo_claim(
            make_invoice(
                by=staff["soignant"],
                practitioner=staff["soignant"],
                site=site,
                patient=make_patient(**patient),  # type: ignore[arg-type]
            )
        )
        for _ in range(n)
    ]


def test_end_to_end_lot_sent_arl_return_with_reject_lump_sum_and_payment(
    staff: dict[str, User], site: Site
) -> None:
    clerk = staff["facturation"]
    c0, c1 = _claims(staff, site, 2)
    [batch_id] = batches.batches_build(by=clerk)
    assert Batch.objects.get(pk=batch_id).status == BatchStatus.BUILT
    batches.batch_send(batch_id=batch_id, by=clerk)
    batch = Batch.objects.get(pk=batch_id)
    # The ARL comes alone first.
    _import([AckRecord(0, batch.number, True, ON, "", "")], name="arl.txt")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ACKNOWLEDGED
    assert set(Claim.objects.values_list("status", flat=True)) == {"acknowledged"}
    # Then the payments: one paid (21.00), one rejected (R02), one lump sum (150.00): the
    # transfer is 171.00.
    rf = _import(
        [
            PaymentRecord(0, c0.reference, D("21.00"), ON, "VIR-7", "", ""),
            RejectRecord(0, c1.reference, "R02", ""),
            UnmatchedRecord(
                0, UnmatchedKind.LUMP_SUM, D("150.00"), ON, "VIR-7", "", "FST", "Forfait structure"
            ),
        ],
        name="paiements.txt",
    )
    assert (rf.paid_count, rf.rejected_count, rf.paid_total) == (1, 1, D("21.00"))  # type: ignore[attr-defined]
    assert (rf.unmatched_count, rf.unmatched_total) == (1, D("150.00"))  # type: ignore[attr-defined]
    assert Claim.objects.get(pk=c0.pk).status == ClaimStatus.PAID
    assert Claim.objects.get(pk=c1.pk).reject_label == "Bénéficiaire inconnu"
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PAID
    item = ReconciliationItem.objects.get()
    assert (item.kind, item.amount, item.code, item.status) == ("F", D("150.00"), "FST", "open")
    page = worklists.worklist_page(by=clerk, name="a-rapprocher", params=worklists.Params())
    assert (page.count, page.amount) == (1, D("150.00"))
    assert page.rows[0].payer == "CPAM de la Vienne"
    # The clerk books the lump sum and corrects then re-sends the reject.
    with pytest.raises(BillingError, match="Indiquez comment"):
        reconciliation.item_resolve(item_id=item.pk, resolution="  ", by=clerk)
    reconciliation.item_resolve(item_id=item.pk, resolution="Compte 7061, forfait 2025", by=clerk)
    assert ReconciliationItem.objects.get().status == ItemStatus.RESOLVED
    with pytest.raises(BillingError) as error:
        reconciliation.item_resolve(item_id=item.pk, resolution="encore", by=clerk)
    assert error.value.kind == "conflict"
    new = claims.claim_resubmit(claim=Claim.objects.get(pk=c1.pk), by=clerk)
    [second] = built_and_sent(clerk)
    assert (Batch.objects.get(pk=second).number, Claim.objects.get(pk=new.pk).status) == (
        2,
        ClaimStatus.SENT,
    )
    assert AuditEntry.objects.filter(action="billing.reconciliation.resolve").count() == 1


def test_adjustments_and_recoveries_net_the_transfer_and_wait_to_be_reconciled(
    staff: dict[str, User], site: Site
) -> None:
    [claim] = _claims(staff, site, 1)
    built_and_sent(staff["facturation"])
    rf = _import(
        [
            PaymentRecord(0, claim.reference, D("21.00"), ON, "VIR-8", "", ""),
            UnmatchedRecord(0, UnmatchedKind.ADJUSTMENT, D("-3.50"), ON, "VIR-8", "", "", ""),
            UnmatchedRecord(
                0, UnmatchedKind.RECOVERY, D("2.00"), ON, "VIR-8", claim.reference, "PF", "PF"
            ),
        ]
    )
    # 21.00 − 3.50 − 2.00 = 15.50 transferred; 21.00 reconciled, −5.50 to reconcile.
    assert (rf.paid_total, rf.unmatched_count, rf.unmatched_total) == (D("21.00"), 2, D("-5.50"))  # type: ignore[attr-defined]
    recovery = ReconciliationItem.objects.get(kind="I")
    assert (recovery.amount, recovery.claim_id) == (D("-2.00"), claim.pk)
    assert Payment.objects.get().amount == D("21.00")
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PAID


def test_worklists_paginate_filter_sort_and_count_the_filtered_rows(
    staff: dict[str, User], site: Site
) -> None:
    clerk = staff["facturation"]
    vienne = _claims(staff, site, 3)
    paris = _claims(staff, site, 2, caisse="751")
    built_and_sent(clerk)
    _import([RejectRecord(0, c.reference, "R03", "") for c in vienne[:2]] + [
        RejectRecord(0, vienne[2].reference, "R01", "")
    ])  # fmt: skip
    _import([RejectRecord(0, c.reference, "R03", "") for c in paris], payer="751", name="p.txt")
    page = worklists.worklist_page(by=clerk, name="rejets", params=worklists.Params(), page_size=2)
    assert (page.count, page.amount, page.pages, len(page.rows)) == (5, D("105.00"), 3, 2)
    assert [p[1] for p in page.payers] == ["CPAM de Paris", "CPAM de la Vienne"]
    last = worklists.worklist_page(
        by=clerk, name="rejets", params=worklists.Params(page=3), page_size=2
    )
    assert len(last.rows) == 1
    with pytest.raises(BillingNotFound):
        worklists.worklist_page(by=clerk, name="rejets", params=worklists.Params(page=4))
    r03 = worklists.worklist_page(by=clerk, name="rejets", params=worklists.Params(cause="R03"))
    assert (r03.count, r03.amount) == (4, D("84.00"))
    vienne_r03 = worklists.worklist_page(
        by=clerk, name="rejets", params=worklists.Params(cause="R03", payer="AMO:861")
    )
    assert [r.obj.pk for r in vienne_r03.rows] == [vienne[0].pk, vienne[1].pk]
    # Care on 10 March 2025: more than 90 days ago.
    old = worklists.worklist_page(by=clerk, name="rejets", params=worklists.Params(age="90+"))
    recent = worklists.worklist_page(by=clerk, name="rejets", params=worklists.Params(age="0-30"))
    assert (old.count, recent.count) == (5, 0)
    other = worklists.worklist_page(
        by=clerk, name="rejets", params=worklists.Params(site=site.pk + 1000)
    )
    assert other.count == 0
    newest = worklists.worklist_page(by=clerk, name="rejets", params=worklists.Params(sort="-age"))
    assert newest.rows[0].obj.pk == paris[-1].pk
    # Each reject links to the screen that fixes it: R03 → identity, R01 → rights.
    r01 = worklists.worklist_page(by=clerk, name="rejets", params=worklists.Params(cause="R01"))
    assert r01.rows[0].fix.url == reverse(  # type: ignore[union-attr]
        "patients:coverage_add", args=[vienne[2].invoice.patient_id]
    )
    assert vienne_r03.rows[0].fix.url == reverse(  # type: ignore[union-attr]
        "patients:edit", args=[vienne[0].invoice.patient_id]
    )
    with pytest.raises(BillingError):
        worklists.parse_params(worklists.WORKLISTS["rejets"], {"age": "12"})


def test_unpaid_overdue_filter_counts_what_the_dashboard_counts(
    staff: dict[str, User], site: Site
) -> None:
    _claims(staff, site, 3)
    [batch_id] = built_and_sent(staff["facturation"])
    Batch.objects.filter(pk=batch_id).update(
        last_sent_at=Batch.objects.get().last_sent_at - datetime.timedelta(days=5)  # type: ignore[operator]
    )
    late = worklists.worklist_page(
        by=staff["direction"], name="impayes", params=worklists.Params(cause="retard")
    )
    assert late.count == selectors.clerk_worklist().overdue == 3
    in_time = worklists.worklist_page(
        by=staff["direction"], name="impayes", params=worklists.Params(cause="attente")
    )
    assert in_time.count == 0


def test_to_check_rows_link_the_missing_nir_to_the_identity_form(
    staff: dict[str, User], site: Site
) -> None:
    [claim] = _claims(staff, site, 1, nir="")
    page = worklists.worklist_page(
        by=staff["facturation"], name="a-verifier", params=worklists.Params(cause="nir")
    )
    assert [r.cause for r in page.rows] == ["NIR manquant"]
    # Care on Monday 10 March 2025: to send by Thursday 20 March (R161-47), long past.
    assert (page.rows[0].deadline, page.rows[0].late) == (datetime.date(2025, 3, 20), True)
    assert page.rows[0].fix.url == reverse("patients:edit", args=[claim.invoice.patient_id])  # type: ignore[union-attr]


def test_export_is_journaled_and_neutralises_formulas(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    c0, c1 = _claims(staff, site, 2)
    built_and_sent(staff["facturation"])
    _import(
        [
            RejectRecord(0, c0.reference, "R99", '=HYPERLINK("http://x")'),
            RejectRecord(0, c1.reference, "R01", "@SUM(A1)"),
            UnmatchedRecord(0, UnmatchedKind.RECOVERY, D("2.00"), ON, "+VIR", "", "", "Indu"),
        ]
    )
    response = client_for("facturation").get(
        reverse("billing:worklist_export", args=["rejets"]) + "?tri=-age"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(worklists.EXPORT_COLUMNS)
    assert len(rows) == 3
    causes = {r[0]: r[4] for r in rows[1:]}
    assert causes[c0.reference] == '\'=HYPERLINK("http://x")'
    assert causes[c1.reference] == "'@SUM(A1)"
    assert rows[1][5] == "21,00"
    entry = AuditEntry.objects.get(action="billing.worklist.export")
    assert (entry.extra["count"], entry.extra["worklist"]) == (2, "rejets")
    items = client_for("facturation").get(reverse("api:worklist-export", args=["a-rapprocher"]))
    [item_row] = list(csv.reader(io.StringIO(items.content.decode("utf-8-sig")), delimiter=";"))[1:]
    assert (item_row[0], item_row[5]) == ("'+VIR", "-2,00")  # a number, not a formula


def test_worklist_pages_and_api_agree_and_refuse_bad_filters(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    _claims(staff, site, 2, nir="")
    client = client_for("direction")
    page = client.get(reverse("billing:worklist", args=["a-verifier"])).content.decode()
    assert "<strong>2</strong> lignes, 42,00" in page
    body = client.get(reverse("api:worklist", args=["a-verifier"])).json()
    assert (body["count"], body["amount"], body["pages"], len(body["results"])) == (
        2,
        "42.00",
        1,
        2,
    )
    assert body["results"][0]["payer"] == "CPAM de la Vienne"
    assert client.get(reverse("api:worklist", args=["a-verifier"]) + "?age=12").status_code == 400
    assert client.get(reverse("api:worklist", args=["nope"])).status_code == 404


def test_sample_return_for_the_demo_data_in_development_only(
    client_for: ClientFor, staff: dict[str, User], site: Site, settings: object
) -> None:
    _claims(staff, site, 3)
    built_and_sent(staff["facturation"])
    client = client_for("facturation")
    assert "retour d'exemple" in client.get(reverse("billing:return_import")).content.decode()
    response = client.get(reverse("billing:return_sample"))
    text = response.content
    rf, _ = returns.return_import(
        open_lines=lambda: text.splitlines(keepends=True), filename="exemple.txt", by=None
    )
    # 1 ARL, 2 payments (42.00), 1 reject, a lump sum 150.00 and a recovery 2.00.
    assert (rf.acks_count, rf.paid_count, rf.rejected_count, rf.paid_total) == (
        1,
        2,
        1,
        D("42.00"),
    )
    assert (rf.unmatched_count, rf.unmatched_total) == (2, D("148.00"))
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    assert client.get(reverse("billing:return_sample")).status_code == 404
    assert "retour d'exemple" not in client.get(reverse("billing:return_import")).content.decode()


def test_resolve_through_the_page_and_the_api(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    _claims(staff, site, 1)
    built_and_sent(staff["facturation"])
    _import(
        [
            UnmatchedRecord(0, UnmatchedKind.LUMP_SUM, D("10.00"), ON, "V", "", "", ""),
            UnmatchedRecord(0, UnmatchedKind.LUMP_SUM, D("20.00"), ON, "V", "", "", ""),
        ]
    )
    first, second = ReconciliationItem.objects.order_by("line")
    client = client_for("facturation")
    client.post(reverse("billing:item_resolve", args=[first.pk]), {"resolution": "Compte 706"})
    answer = client.post(
        reverse("api:item-resolve", args=[second.pk]),
        {"resolution": "Compte 706"},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json()["status"] == "resolved"
    again = client.post(
        reverse("api:item-resolve", args=[second.pk]),
        {"resolution": "x"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert not ReconciliationItem.objects.filter(status="open").exists()
