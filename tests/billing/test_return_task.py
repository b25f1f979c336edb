"""Return files: validated whole at upload, reconciled by a Celery task (set-based SQL)."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from billing import tasks
from billing.formats import AckRecord, PaymentRecord, RejectRecord, return_lines
from billing.models import Batch, Claim, Payment, ReconciliationItem, ReturnFile, ReturnStatus
from centre.models import AuditEntry, Site, User
from tests.billing.factories import ON, amo_claim, built_and_sent, make_invoice

D = Decimal
pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]


def sent_claims(staff: dict[str, User], site: Site, n: int = 3) -> list[Claim]:
    invoice_list = [
        make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
        for _ in range(n)
    ]
    built_and_sent(staff["facturation"])
    return [amo_claim(i) for i in invoice_list]


def upload_of(records: list[Any], name: str = "retour.txt") -> io.BytesIO:
    text = "".join(return_lines(payer_type="AMO", payer_code="861", created_on=ON, records=records))
    upload = io.BytesIO(text.encode())
    upload.name = name
    return upload


def test_upload_is_validated_then_reconciled_by_the_task_with_progress(
    client_for: ClientFor,
    staff: dict[str, User],
    site: Site,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    c0, c1, c2 = sent_claims(staff, site)
    batch = Batch.objects.get()
    upload = upload_of(
        [
            AckRecord(0, batch.number, True, ON, "", ""),
            PaymentRecord(0, c0.reference, D("21.00"), ON, "VIR-1", "", ""),
            PaymentRecord(0, c1.reference, D("15.00"), ON, "VIR-1", "R07", ""),
            RejectRecord(0, c2.reference, "R01", ""),
        ]
    )
    clerk = client_for("facturation")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = clerk.post(reverse("billing:return_import"), {"file": upload})
    assert response.status_code == 302
    assert len(callbacks) == 1  # the task is enqueued after the commit
    rf = ReturnFile.objects.get()
    assert (rf.status, rf.lines_count) == (ReturnStatus.PENDING, 5)
    progress = reverse("billing:return_progress", args=[rf.pk])
    assert f'hx-get="{progress}"' in clerk.get(response["Location"]).content.decode()
    assert "en cours" in clerk.get(progress).content.decode()
    callbacks[0]()  # the worker runs the task (eager in tests)
    rf.refresh_from_db()
    assert (rf.status, rf.acks_count, rf.paid_count, rf.partial_count, rf.rejected_count) == (
        ReturnStatus.IMPORTED,
        1,
        1,
        1,
        1,
    )
    assert rf.paid_total == D("36.00")
    fragment = clerk.get(progress).content.decode()
    assert "rapproché" in fragment and "hx-get" not in fragment
    assert [Claim.objects.get(pk=c.pk).status for c in (c0, c1, c2)] == [
        "paid",
        "partly_paid",
        "rejected",
    ]
    # Idempotent: running the task again (a retry after a crash) counts nothing twice.
    tasks.reconcile_return(return_file_id=rf.pk, actor_id=staff["facturation"].pk)
    assert Payment.objects.count() == 2
    # Audited: the file (counts) and each claim (its change and the line that made it).
    summary = AuditEntry.objects.get(action="billing.return.import")
    assert summary.changes["paid"] == "1" and summary.changes["total"] == "36.00"
    per_claim = {e.object_id: e for e in AuditEntry.objects.filter(action="billing.claim.return")}
    assert set(per_claim) == {str(c.pk) for c in (c0, c1, c2)}
    assert per_claim[str(c1.pk)].changes == {
        "status": ["acknowledged", "partly_paid"],
        "paid_amount": ["0.00", "15.00"],
        "reject_code": ["", "R07"],
    }
    assert per_claim[str(c2.pk)].extra == {"return_file": rf.pk, "line": 5}
    assert per_claim[str(c1.pk)].actor_id == staff["facturation"].pk
    # The same file again: nothing new.
    upload.seek(0)
    again = clerk.post(reverse("billing:return_import"), {"file": upload}, follow=True)
    assert "déjà été importé" in again.content.decode()
    assert ReturnFile.objects.count() == 1


def test_malformed_upload_is_refused_at_once_and_nothing_is_stored(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    [claim] = sent_claims(staff, site, n=1)
    text = upload_of([PaymentRecord(0, claim.reference, D("21.00"), ON, "V", "", "")])
    bad = io.BytesIO(text.getvalue().replace(b"21.00", b"21,00"))
    bad.name = "mauvais.txt"
    page = client_for("facturation").post(reverse("billing:return_import"), {"file": bad})
    assert "rien n&#x27;a été importé — ligne 2" in page.content.decode()
    assert not ReturnFile.objects.exists()


def test_lines_that_match_no_claim_are_set_aside_and_the_rest_reconciles(
    client_for: ClientFor,
    staff: dict[str, User],
    site: Site,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    c0, c1 = sent_claims(staff, site, n=2)
    upload = upload_of(
        [
            PaymentRecord(0, c0.reference, D("21.00"), ON, "VIR-1", "", ""),
            PaymentRecord(0, c1.reference, D("25.00"), ON, "VIR-1", "", ""),  # > claimed
        ]
    )
    clerk = client_for("facturation")
    with django_capture_on_commit_callbacks(execute=True):
        clerk.post(reverse("billing:return_import"), {"file": upload})
    rf = ReturnFile.objects.get()
    assert (rf.status, rf.paid_count, rf.paid_total, rf.unmatched_count, rf.unmatched_total) == (
        ReturnStatus.IMPORTED,
        1,
        D("21.00"),
        1,
        D("25.00"),
    )
    assert Payment.objects.get().claim_id == c0.pk
    assert Claim.objects.get(pk=c1.pk).status == "sent"  # still awaiting its answer
    item = ReconciliationItem.objects.get()
    assert (item.line, item.kind, item.amount, item.claim_id, item.reason) == (
        3,
        "P",
        D("25.00"),
        c1.pk,
        "Montant payé 25.00 € supérieur au montant demandé 21.00 €.",
    )
    assert AuditEntry.objects.filter(action="billing.claim.return").count() == 1
    assert (
        "1 ligne(s) à rapprocher"
        in clerk.get(reverse("billing:return_progress", args=[rf.pk])).content.decode()
    )


def test_api_upload_answers_202_then_the_file_is_imported(
    client_for: ClientFor,
    staff: dict[str, User],
    site: Site,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    [claim] = sent_claims(staff, site, n=1)
    upload = upload_of([PaymentRecord(0, claim.reference, D("21.00"), ON, "VIR-1", "", "")])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client_for("facturation").post(reverse("api:returns"), {"file": upload})
    assert answer.status_code == 202
    assert answer.json()["status"] == "pending"
    assert ReturnFile.objects.get().status == ReturnStatus.IMPORTED
    assert Claim.objects.get(pk=claim.pk).status == "paid"
