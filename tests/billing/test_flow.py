"""The billing flow: lot states, the ARL watch, the sending deadline, overdue counts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import selectors
from billing.errors import BillingError, BillingForbidden
from billing.models import Batch, BatchStatus, Claim, ClaimStatus, FseMode, Invoice
from billing.services import batches
from centre.models import AuditEntry, Site, User
from tests.billing.factories import make_invoice, make_patient
from tests.billing.test_views import ClientFor

D = Decimal
pytestmark = pytest.mark.django_db


def _invoices(staff: dict[str, User], site: Site, n: int, on: datetime.date) -> list[Invoice]:
    return [
        make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site, on=on)
        for _ in range(n)
    ]


def test_a_lot_is_sent_explicitly_and_resent_only_without_arl(
    staff: dict[str, User], site: Site, settings: object
) -> None:
    clerk = staff["facturation"]
    _invoices(staff, site, 2, datetime.date(2025, 3, 10))
    [batch_id] = batches.batches_build(by=clerk)
    batch = Batch.objects.get(pk=batch_id)
    assert (batch.status, batch.get_status_display(), batch.sent_at) == (
        "built",
        "Fichier prêt",
        None,
    )
    assert selectors.clerk_worklist().batches_in_flight == 1
    sent = batches.batch_send(batch_id=batch_id, by=clerk)
    assert (sent.status, sent.send_count) == (BatchStatus.SENT, 1)
    assert Claim.objects.filter(batch=batch, status=ClaimStatus.SENT).count() == 2
    # Sent again at once: refused, its ARL is still awaited (3 days by default).
    with pytest.raises(BillingError, match="ARL est attendu") as error:
        batches.batch_send(batch_id=batch_id, by=clerk)
    assert error.value.kind == "conflict"
    assert list(selectors.batches_without_arl()) == []
    # Four days later without ARL: flagged, its claims count as overdue, and it may be re-sent.
    Batch.objects.filter(pk=batch_id).update(
        last_sent_at=timezone.now() - datetime.timedelta(days=4)
    )
    assert [b.pk for b in selectors.batches_without_arl()] == [batch_id]
    assert selectors.overdue_claims().count() == 2
    worklist = selectors.clerk_worklist()
    assert (worklist.without_arl, worklist.overdue) == (1, 2)
    again = batches.batch_send(batch_id=batch_id, by=clerk)
    assert (again.status, again.send_count) == (BatchStatus.SENT, 2)
    assert selectors.overdue_claims().count() == 0
    actions = list(
        AuditEntry.objects.filter(object_type="billing.batch", object_id=str(batch_id))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["billing.batch.build", "billing.batch.send", "billing.batch.resend"]
    # The waiting time is a setting.
    settings.BILLING_ARL_WAIT_DAYS = 10  # type: ignore[attr-defined]
    Batch.objects.filter(pk=batch_id).update(
        last_sent_at=timezone.now() - datetime.timedelta(days=4)
    )
    assert list(selectors.batches_without_arl()) == []
    # Other roles may not send.
    with pytest.raises(BillingForbidden):
        batches.batch_send(batch_id=batch_id, by=staff["direction"])


def test_the_eight_working_day_sending_deadline_skips_weekends_and_holidays(
    staff: dict[str, User], site: Site
) -> None:
    # Care on Wednesday 30 April 2025; 1 May and 8 May are public holidays: the 8th working
    # day after is Wednesday 14 May (2, 5, 6, 7, 9, 12, 13, 14 May).
    care = datetime.date(2025, 4, 30)
    assert selectors.sending_deadline(care) == datetime.date(2025, 5, 14)
    # Care on 1 May (a holiday) has the same deadline; care on Friday 2 May has until 15 May.
    assert selectors.sending_cutoff(datetime.date(2025, 5, 15)) == datetime.date(2025, 5, 2)
    _invoices(staff, site, 2, care)
    make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        on=datetime.date(2025, 5, 12),
        patient=make_patient(),
    )
    late = selectors.claims_sending_late
    soon = selectors.claims_sending_soon
    assert (late(datetime.date(2025, 5, 14)).count(), soon(datetime.date(2025, 5, 14)).count()) == (
        0,
        2,
    )
    assert late(datetime.date(2025, 5, 15)).count() == 2
    # Built but not sent still counts; sent no longer does.
    [batch_id] = batches.batches_build(by=staff["facturation"])
    assert late(datetime.date(2025, 5, 15)).count() == 2
    batches.batch_send(batch_id=batch_id, by=staff["facturation"])
    assert late(datetime.date(2025, 5, 15)).count() == 0


def test_payment_delay_only_for_sheets_secured_with_the_card(
    staff: dict[str, User], site: Site
) -> None:
    card, paper = _invoices(staff, site, 2, datetime.date(2025, 3, 3))
    Invoice.objects.filter(pk=card.pk).update(fse_mode=FseMode.CARD)
    Invoice.objects.filter(pk=paper.pk).update(fse_mode=FseMode.DEGRADED)
    Claim.objects.update(status=ClaimStatus.ACKNOWLEDGED, acknowledged_on=datetime.date(2025, 3, 3))
    overdue = selectors.overdue_claims(datetime.date(2025, 3, 13))
    assert list(overdue.values_list("invoice_id", flat=True)) == [card.pk]


def test_send_through_the_api_answers_the_lot_then_409(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    _invoices(staff, site, 1, datetime.date(2025, 3, 10))
    [batch_id] = batches.batches_build(by=staff["facturation"])
    api = client_for("facturation")
    url = reverse("api:batch-send", args=[batch_id])
    response = api.post(url)
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["send_count"], body["payer_name"], body["without_arl"]) == (
        "sent",
        1,
        "CPAM de la Vienne",
        False,
    )
    assert body["total_amount"] == "21.00"
    assert api.post(url).status_code == 409


def test_building_previews_counts_and_amounts_per_payer_and_asks_for_confirmation(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    _invoices(staff, site, 2, datetime.date(2025, 3, 10))
    make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        patient=make_patient(caisse="751", mutuelle=True),
    )
    preview = batches.batches_preview(by=staff["direction"])
    assert [(p.name, p.claims, p.amount) for p in preview.payers] == [
        ("Mutuelle du Poitou", 1, D("9.00")),
        ("CPAM de Paris", 1, D("21.00")),
        ("CPAM de la Vienne", 2, D("42.00")),
    ]
    assert (preview.claims, preview.amount, preview.fingerprint) == (4, D("72.00"), "4:72.00")
    client = client_for("facturation")
    # The ready claims changed since the preview: nothing built, the new preview is shown.
    stale = client.post(reverse("billing:batch_build"), {"confirm": "1", "fingerprint": "3:51.00"})
    assert stale["Location"] == reverse("billing:batch_build")
    assert not Batch.objects.exists()
    api = client.get(reverse("api:batch-preview")).json()
    assert (api["claims"], api["amount"], len(api["payers"])) == (4, "72.00", 3)
    dry = client.post(reverse("api:batches") + "?dry_run=true")
    assert dry.status_code == 200 and dry.json()["fingerprint"] == "4:72.00"
    assert not Batch.objects.exists()
    assert client_for("direction").post(reverse("api:batches") + "?dry_run=1").status_code == 403
