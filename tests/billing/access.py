from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from tests.access import Access, World, roles

BILLING_READ = roles("facturation", "direction")
BILLING_WRITE = roles("facturation")
CASHIER = roles("accueil", "facturation")


def _invoice(w: World) -> Any:
    if "invoice" not in w.cache:
        from tests.billing.factories import make_invoice

        w.cache["invoice"] = make_invoice(
            by=w.staff["soignant"], practitioner=w.staff["soignant"], site=w.site
        )
    return w.cache["invoice"]


def _payment(w: World) -> dict[str, Any]:
    from billing.services import payments

    invoice = _invoice(w)
    payment = payments.payment_record(
        invoice=invoice, amount=invoice.patient_balance, method="cash", by=w.staff["accueil"]
    )
    return {"payment_id": payment.pk}


def _return_file(w: World) -> dict[str, Any]:
    from billing.models import ReturnFile

    rf = ReturnFile.objects.create(
        filename="r.txt", sha256="0" * 64, payer_type="AMO", payer_code="861"
    )
    return {"return_file_id": rf.pk}


def _item(w: World) -> dict[str, Any]:
    from billing.models import ReconciliationItem

    rf = ReconciliationItem._meta.get_field("return_file").related_model.objects.create(
        filename="r.txt", sha256="1" * 64, payer_type="AMO", payer_code="861"
    )
    item = ReconciliationItem.objects.create(
        return_file=rf, line=2, kind="F", payer_type="AMO", payer_code="861", reason="Forfait"
    )
    return {"item_id": item.pk}


def _batch(w: World) -> dict[str, Any]:
    from billing.services import batches

    _invoice(w)
    ids = batches.batches_build(by=w.staff["facturation"])
    return {"batch_id": ids[0]}


def _claim(w: World) -> dict[str, Any]:
    return {"claim_id": _invoice(w).claims.first().pk, "action": "write_off"}


def _appointment(w: World) -> dict[str, Any]:
    from appointments.models import Appointment, ConsultationType
    from tests.billing.factories import make_patient

    ctype, _ = ConsultationType.objects.get_or_create(
        label="Consultation de médecine générale", defaults={"profession": "medecin_generaliste"}
    )
    start = timezone.now() - datetime.timedelta(hours=2)
    appointment = Appointment.objects.create(
        patient=make_patient(),
        practitioner=w.staff["soignant"].profile,
        consultation_type=ctype,
        site=w.site,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        booked_by=w.staff["accueil"],
    )
    return {"appointment_id": appointment.pk}


def _tariff(w: World) -> dict[str, Any]:
    from billing.models import Tariff
    from tests.billing.factories import ensure_fee_schedule

    ensure_fee_schedule()
    return {"tariff_id": Tariff.objects.order_by("id").values_list("id", flat=True)[0]}


ACCESS = {
    "billing:dashboard": Access(BILLING_READ),
    "billing:invoice_detail": Access(
        roles("facturation", "direction", "accueil", "soignant"),
        kwargs=lambda w: {"invoice_id": _invoice(w).pk},
    ),
    "billing:payment_record": Access(
        CASHIER, method="post", kwargs=lambda w: {"invoice_id": _invoice(w).pk}
    ),
    "billing:invoice_fse": Access(
        roles("soignant"), method="post", kwargs=lambda w: {"invoice_id": _invoice(w).pk}
    ),
    "billing:invoice_recheck": Access(
        BILLING_WRITE, method="post", kwargs=lambda w: {"invoice_id": _invoice(w).pk}
    ),
    "billing:receipt_pdf": Access(CASHIER, kwargs=_payment),
    "billing:cashier": Access(CASHIER),
    "billing:batch_list": Access(BILLING_READ),
    "billing:batch_build": Access(BILLING_WRITE, method="post"),
    "billing:batch_progress": Access(BILLING_WRITE, kwargs=lambda w: {"run": "abc"}),
    "billing:batch_download": Access(BILLING_WRITE, kwargs=_batch),
    "billing:batch_send": Access(BILLING_WRITE, method="post", kwargs=_batch),
    "billing:return_import": Access(BILLING_WRITE),
    "billing:return_progress": Access(BILLING_WRITE, kwargs=_return_file),
    "billing:invoice_correct": Access(
        BILLING_WRITE, kwargs=lambda w: {"invoice_id": _invoice(w).pk}
    ),
    "billing:pending_conversions": Access(BILLING_READ),
    "billing:pending_convert": Access(BILLING_WRITE, method="post"),
    "billing:claims_to_work": Access(BILLING_READ),
    "billing:worklist": Access(BILLING_READ, kwargs=lambda w: {"name": "rejets"}),
    "billing:worklist_export": Access(BILLING_READ, kwargs=lambda w: {"name": "a-verifier"}),
    "billing:item_resolve": Access(
        BILLING_WRITE, method="post", kwargs=_item, data={"resolution": "Forfait affecté"}
    ),
    "billing:return_sample": Access(BILLING_WRITE),
    "billing:claim_action": Access(BILLING_WRITE, method="post", kwargs=_claim),
    "billing:fee_schedule": Access(roles("facturation", "direction", "soignant")),
    "billing:tariff_add": Access(roles("direction")),
    "billing:close_consultation": Access(roles("soignant"), kwargs=_appointment),
}

ACCESS.update(
    {
        "api:fee-schedule": Access(roles("facturation", "direction", "soignant"), api=True),
        "api:tariff-create": Access(roles("direction"), api=True, method="post"),
        "api:tariff-correct": Access(roles("direction"), api=True, method="patch", kwargs=_tariff),
        "api:invoices": Access(roles("facturation", "direction", "accueil", "soignant"), api=True),
        "api:invoice-detail": Access(
            roles("facturation", "direction", "accueil", "soignant"),
            api=True,
            kwargs=lambda w: {"invoice_id": _invoice(w).pk},
        ),
        "api:invoice-preview": Access(
            roles("facturation", "direction", "soignant"), api=True, method="post"
        ),
        "api:claims": Access(BILLING_READ, api=True),
        "api:batches": Access(BILLING_READ, api=True),
        "api:batch-preview": Access(BILLING_READ, api=True),
        "api:batch-download": Access(BILLING_WRITE, api=True, kwargs=_batch),
        "api:batch-send": Access(BILLING_WRITE, api=True, method="post", kwargs=_batch),
        "api:returns": Access(BILLING_WRITE, api=True),
        "api:worklist": Access(BILLING_READ, api=True, kwargs=lambda w: {"name": "impayes"}),
        "api:worklist-export": Access(
            BILLING_READ, api=True, kwargs=lambda w: {"name": "a-rapprocher"}
        ),
        "api:item-resolve": Access(
            BILLING_WRITE, api=True, method="post", kwargs=_item, data={"resolution": "Affecté"}
        ),
        "api:invoice-pending-conversions": Access(BILLING_READ, api=True),
        "api:invoice-correct": Access(
            BILLING_WRITE, api=True, method="post", kwargs=lambda w: {"invoice_id": _invoice(w).pk}
        ),
        "api:invoice-convert-pending": Access(
            BILLING_WRITE, api=True, method="post", kwargs=lambda w: {"invoice_id": _invoice(w).pk}
        ),
    }
)
