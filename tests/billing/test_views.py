"""Pages and API: what each role sees and does."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, ConsultationType, Status
from billing.formats import PaymentRecord, RejectRecord, return_lines
from billing.models import Batch, Claim, Invoice
from centre.models import Site, User
from tests.billing.factories import ON, amo_claim, make_invoice, make_patient
from tests.factories import make_staff

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]


def appointment_for(
    practitioner: User, site: Site, accueil: User, **patient: object
) -> Appointment:
    ctype, _ = ConsultationType.objects.get_or_create(
        label="Consultation de médecine générale", defaults={"profession": "medecin_generaliste"}
    )
    start = timezone.now() - datetime.timedelta(hours=1)
    return Appointment.objects.create(
        patient=make_patient(**patient),  # type: ignore[arg-type]
        practitioner=practitioner.profile,
        consultation_type=ctype,
        site=site,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        status=Status.ARRIVED,
        booked_by=accueil,
    )


def test_practitioner_closes_a_consultation_and_reception_collects(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    appointment = appointment_for(staff["soignant"], site, staff["accueil"], mutuelle=False)
    url = reverse("billing:close_consultation", args=[appointment.pk])
    client = client_for("soignant")
    page = client.get(url)
    assert '<option value="G">' in page.content.decode()
    preview = client.post(url, {"acts": "G", "preview": "1"})
    assert "Calcul (non enregistré)" in preview.content.decode()
    assert not Invoice.objects.exists()
    refused = client.post(url, {"acts": "AMI"})
    assert "pas facturable par cette profession" in refused.content.decode()
    response = client.post(url, {"acts": "G"})
    invoice = Invoice.objects.get()
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == Status.SEEN
    assert invoice.patient_due == Decimal("9.00")
    # Reception sees what the patient pays now and records it.
    reception = client_for("accueil")
    assert invoice.number in reception.get(reverse("billing:cashier")).content.decode()
    reception.post(
        reverse("billing:payment_record", args=[invoice.pk]), {"amount": "9.00", "method": "cash"}
    )
    invoice.refresh_from_db()
    assert invoice.patient_balance == Decimal("0.00")
    payment = invoice.payments.get()
    pdf = reception.get(reverse("billing:receipt_pdf", args=[payment.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_practitioners_cannot_see_other_practitioners_billing(
    client_for: ClientFor, staff: dict[str, User], site: Site, centre: object
) -> None:
    colleague = make_staff("soignant", centre=centre, sites=[site])  # type: ignore[arg-type]
    theirs = make_invoice(by=colleague, practitioner=colleague, site=site)
    mine = make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
    client = client_for("soignant")
    assert client.get(reverse("billing:invoice_detail", args=[theirs.pk])).status_code == 404
    page = client.get(reverse("billing:invoice_detail", args=[mine.pk])).content.decode()
    assert "Demandes de remboursement" not in page  # billing internals are for the clerk
    api = client.get(reverse("api:invoices")).json()
    assert [i["number"] for i in api["results"]] == [mine.number]
    assert client.get(reverse("api:invoice-detail", args=[theirs.pk])).status_code == 404
    closing_theirs = appointment_for(colleague, site, staff["accueil"])
    url = reverse("billing:close_consultation", args=[closing_theirs.pk])
    assert client.get(url).status_code == 404
    mediation = client_for("mediation")
    assert mediation.get(reverse("billing:invoice_detail", args=[mine.pk])).status_code == 403
    assert mediation.get(reverse("api:invoices")).status_code == 403


WORKLIST_QUERIES = 12


def test_clerk_pages_with_pinned_query_counts(
    client_for: ClientFor,
    staff: dict[str, User],
    site: Site,
    django_assert_num_queries: Callable[..., object],
) -> None:
    for _ in range(3):
        make_invoice(
            by=staff["soignant"],
            practitioner=staff["soignant"],
            site=site,
            patient=make_patient(nir=""),
        )
    client = client_for("facturation")
    client.get(reverse("billing:dashboard"))  # warm the session and caches
    # session, user, groups, MFA check; ready per payer, drafts, batches, rejects, overdue,
    # ageing, lots without ARL, sheets late and soon due for sending, lines to reconcile, sheets
    # in degraded mode,
    # invoices to check (with patient), their journal entry; session save; whatever the number
    # of invoices.
    with django_assert_num_queries(20):  # type: ignore[operator]
        page = client.get(reverse("billing:dashboard"))
    assert page.content.decode().count("NIR de l&#x27;assuré·e manquant") == 3
    # The worklist « à vérifier »: session, user, groups, MFA; count and total, the page (with
    # invoice, patient, site), its journal entry, payers offered, sites; session save —
    # whatever the number of rows.
    url = reverse("billing:worklist", args=["a-verifier"])
    with django_assert_num_queries(WORKLIST_QUERIES):  # type: ignore[operator]
        page = client.get(url).content.decode()
    assert page.count("Corriger l&#x27;identité") == 3
    for _ in range(2):
        make_invoice(
            by=staff["soignant"],
            practitioner=staff["soignant"],
            site=site,
            patient=make_patient(nir=""),
        )
    with django_assert_num_queries(WORKLIST_QUERIES):  # type: ignore[operator]
        client.get(url)


def test_clerk_builds_a_batch_and_imports_a_return_through_the_pages(
    client_for: ClientFor,
    staff: dict[str, User],
    site: Site,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    invoice_list = [
        make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
        for _ in range(2)
    ]
    client = client_for("facturation")
    preview = client.get(reverse("billing:batch_build")).content.decode()
    assert "CPAM de la Vienne" in preview and "Confirmer et construire" in preview
    assert "42,00" in preview  # 2 × 21.00
    assert client.post(reverse("billing:batch_build"))["Location"] == reverse(
        "billing:batch_build"
    )  # no confirmation: back to the preview, nothing built
    assert not Batch.objects.exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("billing:batch_build"), {"confirm": "1", "fingerprint": "2:42.00"}
        )
    assert response.status_code == 302
    assert len(callbacks) == 1  # the task is enqueued after the commit (eager in tests)
    batch = Batch.objects.get()
    assert batch.claims_count == 2
    run = response["Location"].split("run=")[1]
    assert (
        "Construction terminée"
        in client.get(reverse("billing:batch_progress", args=[run])).content.decode()
    )
    download = client.get(reverse("billing:batch_download", args=[batch.pk]))
    assert download.content.decode().startswith("H|PASSERELLE-LOT|1|")
    assert Batch.objects.get().status == "built"  # a file exists, nothing sent yet
    listing = client.get(reverse("billing:batch_list")).content.decode()
    assert "Fichier prêt" in listing and "CPAM de la Vienne" in listing
    client.post(reverse("billing:batch_send", args=[batch.pk]))
    assert Batch.objects.get().status == "sent"
    assert "Marquer envoyé" not in client.get(reverse("billing:batch_list")).content.decode()
    c1, c2 = (amo_claim(i) for i in invoice_list)
    text = "".join(
        return_lines(
            payer_type="AMO",
            payer_code="861",
            created_on=ON,
            records=[
                PaymentRecord(0, c1.reference, Decimal("21.00"), ON, "VIR-9", "", ""),
                RejectRecord(0, c2.reference, "R03", ""),
            ],
        )
    )
    upload = io.BytesIO(text.encode())
    upload.name = "retour.txt"
    with django_capture_on_commit_callbacks(execute=True):  # reconciled by the Celery task
        response = client.post(reverse("billing:return_import"), {"file": upload})
    assert response.status_code == 302
    assert client.get(reverse("billing:claims_to_work"))["Location"] == reverse(
        "billing:worklist", args=["rejets"]
    )
    page = client.get(reverse("billing:worklist", args=["rejets"])).content.decode()
    assert "Discordance NIR / date de naissance" in page
    assert "Corriger et renvoyer dans un nouveau lot" in page
    # The reject links to the screen that fixes its cause: the patient's identity form.
    assert reverse("patients:edit", args=[c2.invoice.patient_id]) in page
    assert "CPAM de la Vienne" in page
    client.post(reverse("billing:claim_action", args=[c2.pk, "write_off"]), {"reason": ""})
    assert Claim.objects.get(pk=c2.pk).status == "rejected"  # a reason is required
    client.post(reverse("billing:claim_action", args=[c2.pk, "write_off"]), {"reason": "Doublon"})
    assert Claim.objects.get(pk=c2.pk).status == "written_off"
    # A malformed file is refused with the line, nothing imported.
    bad = io.BytesIO(text.replace("21.00", "21,00").encode())
    bad.name = "mauvais.txt"
    page = client.post(reverse("billing:return_import"), {"file": bad}).content.decode()
    assert "rien n&#x27;a été importé — ligne 2" in page


def test_api_preview_and_return_upload(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    patient = make_patient(medecin_traitant=False, mutuelle=True)
    client = client_for("soignant")
    response = client.post(
        reverse("api:invoice-preview"),
        {"patient": patient.pk, "date": "2025-03-10", "acts": [{"code": "G"}]},
        content_type="application/json",
    )
    assert response.json() | {"notes": []} == {
        "total": "30.00",
        "amo": "9.00",
        "amc": "9.00",
        "patient_due": "12.00",
        "recoverable_by_amo": "2.00",
        "pathway": "hors_parcours",
        "pathway_reason": response.json()["pathway_reason"],
        "insurance_nature": "maladie",
        "exemption": "",
        "notes": [],
    }
    assert response.json()["pathway_reason"].startswith("Hors parcours : aucun médecin traitant")
    bad = client.post(
        reverse("api:invoice-preview"),
        {"patient": patient.pk, "date": "2025-03-10", "acts": [{"code": "ZZZ"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json() == {"acts": ["Acte « ZZZ » inconnu de la nomenclature."]}
    clerk = client_for("facturation")
    upload = io.BytesIO(b"H|PASSERELLE-RETOUR|1|AMO|861|20250310\nZ\n")
    upload.name = "r.txt"
    answer = clerk.post(reverse("api:returns"), {"file": upload})
    assert answer.status_code == 400
    assert answer.json()["line"] == 2
    fee = client.get(reverse("api:fee-schedule")).json()
    g = next(a for a in fee if a["code"] == "G")
    assert g["tariffs"][0]["unit_price"] == "30.00"
