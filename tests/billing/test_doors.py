"""The services check who may act themselves, so every door (page, API, task, shell) gets the
same answer; the API translates their refusals once (400/403/404/409 JSON)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, ConsultationType, Status
from billing.errors import BillingError, BillingForbidden, BillingNotFound
from billing.models import Claim, ClaimStatus, Invoice
from billing.services import batches, claims, invoices, payments, tariffs
from centre.models import AuditEntry, Site, User
from centre.refusals import Kind
from tests.billing.factories import amo_claim, make_invoice, make_patient, practitioner_of

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]


def invoice_of(staff: dict[str, User], site: Site) -> Invoice:
    return make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        patient=make_patient(mutuelle=False),
    )


def test_services_refuse_roles_that_may_not_act(staff: dict[str, User], site: Site) -> None:
    invoice = invoice_of(staff, site)
    claim = amo_claim(invoice)
    refused = [
        lambda: claims.claim_write_off(claim=claim, reason="Doublon", by=staff["direction"]),
        lambda: claims.claim_resubmit(claim=claim, by=staff["accueil"]),
        lambda: invoices.invoice_correct(
            invoice=invoice, acts=[invoices.ActChoice("G")], reason="x", by=staff["soignant"]
        ),
        lambda: invoices.invoice_recheck(invoice=invoice, by=staff["mediation"]),
        lambda: payments.payment_record(
            invoice=invoice, amount=Decimal("1.00"), method="cash", by=staff["soignant"]
        ),
        lambda: batches.batches_build(by=staff["direction"]),
        lambda: batches.batches_build_request(by=staff["accueil"]),
        lambda: tariffs.tariff_add(
            act=invoice.lines.get().act,
            unit_price=Decimal("31.00"),
            amo_rate=Decimal("0.70"),
            valid_from=datetime.date(2026, 1, 1),
            source="essai",
            to_verify=False,
            by=staff["facturation"],  # the fee schedule is the director's
        ),
    ]
    journal = AuditEntry.objects.count()
    for call in refused:
        with pytest.raises(BillingForbidden) as error:
            call()
        assert error.value.kind == Kind.FORBIDDEN
    assert AuditEntry.objects.count() == journal  # nothing done, nothing journaled
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.READY


def test_a_practitioner_bills_only_their_own_consultations(
    staff: dict[str, User], site: Site, centre: object
) -> None:
    from tests.factories import make_staff

    colleague = make_staff("soignant", centre=centre, sites=[site])  # type: ignore[arg-type]
    with pytest.raises(BillingForbidden, match="ses propres consultations"):
        invoices.invoice_create(
            patient=make_patient(),
            practitioner=practitioner_of(colleague),
            site=site,
            on=datetime.date(2025, 3, 10),
            acts=[invoices.ActChoice("G")],
            by=staff["soignant"],
        )
    ctype, _ = ConsultationType.objects.get_or_create(
        label="Consultation de médecine générale", defaults={"profession": "medecin_generaliste"}
    )
    start = timezone.now() - datetime.timedelta(hours=1)
    theirs = Appointment.objects.create(
        patient=make_patient(),
        practitioner=colleague.profile,
        consultation_type=ctype,
        site=site,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        status=Status.ARRIVED,
        booked_by=staff["accueil"],
    )
    with pytest.raises(BillingNotFound):
        invoices.invoice_close_consultation(
            by=staff["soignant"], appointment_id=theirs.pk, acts=[invoices.ActChoice("G")]
        )
    assert not Invoice.objects.filter(appointment=theirs).exists()


def test_refusal_kinds_invalid_and_conflict(staff: dict[str, User], site: Site) -> None:
    invoice = invoice_of(staff, site)
    claim = amo_claim(invoice)
    with pytest.raises(BillingError) as missing:
        claims.claim_write_off(claim=claim, reason=" ", by=staff["facturation"])
    assert (missing.value.kind, missing.value.field) == (Kind.INVALID, "reason")
    with pytest.raises(BillingError) as wrong_state:
        claims.claim_resubmit(claim=claim, by=staff["facturation"])  # ready, not rejected
    assert wrong_state.value.kind == Kind.CONFLICT


def test_api_answers_each_refusal_with_its_status_and_body(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    invoice = invoice_of(staff, site)
    clerk = client_for("facturation")
    corrected = clerk.post(
        reverse("api:invoice-correct", args=[invoice.pk]),
        {"acts": [{"code": "G"}], "reason": "Coefficient"},
        content_type="application/json",
    )
    assert corrected.status_code == 201
    # The old version again: 409, the state forbids it.
    again = clerk.post(
        reverse("api:invoice-correct", args=[invoice.pk]),
        {"acts": [{"code": "G"}], "reason": "Encore"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert again.json()["kind"] == "conflict"
    # An unknown act: 400 on the field.
    new_id = corrected.json()["id"]
    bad = clerk.post(
        reverse("api:invoice-correct", args=[new_id]),
        {"acts": [{"code": "ZZZ"}], "reason": "Essai"},
        content_type="application/json",
    )
    assert (bad.status_code, bad.json()) == (
        400,
        {"acts": ["Acte « ZZZ » inconnu de la nomenclature."]},
    )
    # An unknown invoice: JSON 404.
    missing = clerk.post(
        reverse("api:invoice-correct", args=[new_id + 999]),
        {"acts": [{"code": "G"}], "reason": "Essai"},
        content_type="application/json",
    )
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/json")
    # The practitioner closing a colleague's appointment through the API: 404, nothing billed.
    post = client_for("soignant").post(
        reverse("api:invoices"),
        {"appointment": 999999, "acts": [{"code": "G"}]},
        content_type="application/json",
    )
    assert (post.status_code, post.json()["kind"]) == (404, "not_found")
    # A role that may not close consultations: 403 from the service.
    forbidden = clerk.post(
        reverse("api:invoices"),
        {"appointment": 999999, "acts": [{"code": "G"}]},
        content_type="application/json",
    )
    assert (forbidden.status_code, forbidden.json()["kind"]) == (403, "forbidden")
    # An unknown claim filter: 400, not an empty list.
    filtered = clerk.get(reverse("api:claims") + "?status=nimporte")
    assert filtered.status_code == 400
    assert "status" in filtered.json()


def test_pages_show_refusals_on_the_form_or_as_a_message(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    invoice = invoice_of(staff, site)
    claim = amo_claim(invoice)
    clerk = client_for("facturation")
    response = clerk.post(reverse("billing:claim_action", args=[claim.pk, "resubmit"]), follow=True)
    page = response.content.decode()
    assert f"Impossible de la corriger : la demande {claim.reference} est « Prête »." in (
        page.replace("&#x27;", "'").replace("&quot;", '"')
    )
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.READY
    # A page refusing an object outside one's rights answers the 404 page.
    assert (
        client_for("soignant").get(reverse("billing:close_consultation", args=[999999])).status_code
        == 404
    )
