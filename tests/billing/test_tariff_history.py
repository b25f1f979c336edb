"""Dated tariffs and parameters loaded by 0004_br_tariff_history, and the minors' exemption
from the participation forfaitaire (CSS, art. R160-20: under 18 on 1 January)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from billing import selectors
from billing.models import Act
from billing.pricing import ActKind, PricedAct, compute_split
from billing.services import invoices
from centre.models import Site, User
from tests.billing.factories import make_invoice, make_patient
from tests.factories import make_staff

D = Decimal


def price(code: str, on: str) -> Decimal | None:
    tariff = selectors.tariff_on(Act.objects.get(code=code), datetime.date.fromisoformat(on))
    return tariff.unit_price if tariff else None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "on", "expected"),
    [
        ("TCG", "2019-01-10", "25.00"),
        ("TCG", "2024-06-01", "25.00"),  # not 26.50: never raised in 2023
        ("TCG", "2025-03-10", "25.00"),  # nor by the 2024 convention
        ("G", "2023-10-31", "25.00"),
        ("G", "2023-11-01", "26.50"),
        ("G", "2024-12-21", "26.50"),
        ("G", "2024-12-22", "30.00"),
        ("GS", "2023-01-02", "25.00"),
        ("GS", "2024-06-01", "26.50"),
        ("GS", "2025-01-02", "30.00"),
        ("VG", "2023-03-01", "25.00"),
        ("VG", "2024-06-01", "26.50"),
        ("VG", "2025-03-10", "30.00"),  # VG alone: MD is its own line
        ("MD", "2023-03-01", "10.00"),
        ("MEG", "2023-03-01", "5.00"),
        ("APC", "2023-03-01", "50.00"),
        ("APC", "2024-06-01", "55.00"),
        ("APC", "2025-03-10", "60.00"),
        ("CS", "2024-06-01", "28.50"),
        ("CS", "2025-03-10", "32.00"),
        ("CS", "2025-07-01", "35.00"),
        ("AMO", "2024-01-25", "2.50"),
        ("AMO", "2024-01-26", "2.60"),
    ],
)
def test_dated_tariffs(code: str, on: str, expected: str) -> None:
    assert price(code, on) == D(expected)


@pytest.mark.django_db
def test_franchise_daily_cap_2_before_31_march_2024_then_4() -> None:
    assert selectors.deductibles_on(datetime.date(2024, 3, 30)).franchise_day_cap == D("2.00")
    assert selectors.deductibles_on(datetime.date(2024, 3, 31)).franchise_day_cap == D("4.00")
    # Franchise 0.50 € per act before 31 March 2024: 5 acts the same day reach the 2 € cap.
    before = selectors.deductibles_on(datetime.date(2024, 3, 30))
    ami = PricedAct("AMI", "Soin", D("3.15"), D(1), D("0.60"), ActKind.AUXILIARY)
    from patients.coverage import CoverageSummary

    adult = CoverageSummary(on=datetime.date(2024, 3, 30), age=40, has_amo=True)
    split = compute_split(acts=[ami] * 5, coverage=adult, deductibles=before)
    assert split.franchise == D("2.00")  # 5 × 0.50 = 2.50, capped at 2.00
    # 5 × 3.15 = 15.75 ; AMO 5 × 1.89 = 9.45 ; ticket modérateur 6.30.
    assert (split.total, split.amo, split.patient_due) == (D("15.75"), D("9.45"), D("6.30"))
    after = selectors.deductibles_on(datetime.date(2024, 4, 2))
    split = compute_split(acts=[ami] * 5, coverage=adult, deductibles=after)
    assert split.franchise == D("4.00")  # 5 × 1.00 = 5.00, capped at 4.00


@pytest.mark.django_db
def test_correcting_older_gs_care_no_longer_fails(staff: dict[str, User], site: Site) -> None:
    """Care of June 2024 billed G, corrected into GS: priced at 26.50 €, no « Aucun tarif »."""
    invoice = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        on=datetime.date(2024, 6, 3),
    )
    new = invoices.invoice_correct(
        invoice=invoice,
        acts=[invoices.ActChoice("GS")],
        reason="GS au lieu de G",
        by=staff["facturation"],
    )
    # 26.50 × 0.70 = 18.55 ; TM 7.95 ; PF 2.00 (from 15 May 2024).
    assert (new.total, new.amo, new.patient_due, new.pf) == (
        D("26.50"),
        D("18.55"),
        D("7.95"),
        D("2.00"),
    )


@pytest.mark.django_db
def test_speech_therapy_on_25_and_26_january_2024(site: Site) -> None:
    ortho = make_staff("soignant", sites=[site], profession="orthophoniste")
    patient = make_patient()
    jan25 = make_invoice(
        by=ortho,
        practitioner=ortho,
        site=site,
        patient=patient,
        on=datetime.date(2024, 1, 25),
        acts=[("AMO", D("10"))],
    )
    jan26 = make_invoice(
        by=ortho,
        practitioner=ortho,
        site=site,
        patient=patient,
        on=datetime.date(2024, 1, 26),
        acts=[("AMO", D("10"))],
    )
    # AMO 10 × 2.50 = 25.00, AMO 60 % = 15.00; franchise 0.50 before 31 March 2024.
    assert (jan25.total, jan25.amo, jan25.franchise) == (D("25.00"), D("15.00"), D("0.50"))
    # AMO 10 × 2.60 = 26.00, AMO 60 % = 15.60.
    assert (jan26.total, jan26.amo, jan26.franchise) == (D("26.00"), D("15.60"), D("0.50"))


@pytest.mark.django_db
def test_pf_minor_on_1_january_stays_exempt_all_year(staff: dict[str, User], site: Site) -> None:
    """Born 2007-03-01: 17 on 1 January 2025, 18 on 10 March 2025. R160-20: no PF in 2025;
    in 2026 (18 on 1 January) the PF applies."""
    patient = make_patient(birth_date=datetime.date(2007, 3, 1))
    in_2025 = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        patient=patient,
        on=datetime.date(2025, 3, 10),
    )
    assert (in_2025.total, in_2025.amo, in_2025.pf) == (D("30.00"), D("21.00"), D("0.00"))
    in_2026 = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        patient=patient,
        on=datetime.date(2026, 1, 5),
    )
    assert in_2026.pf == D("2.00")


@pytest.mark.django_db
def test_director_corrects_a_tariff_dated_and_audited(staff: dict[str, User], site: Site) -> None:
    from billing.errors import BillingError, BillingForbidden
    from billing.models import Tariff
    from billing.services import tariffs
    from centre.models import AuditEntry

    gl2 = Tariff.objects.get(act__code="GL2", valid_from=datetime.date(2026, 1, 1))
    assert gl2.to_verify
    with pytest.raises(BillingForbidden):
        tariffs.tariff_correct(tariff=gl2, source="x", to_verify=False, by=staff["facturation"])
    fixed = tariffs.tariff_correct(
        tariff=gl2,
        unit_price=D("60.00"),
        source="Convention médicale 2024–2029 (vérifié)",
        to_verify=False,
        by=staff["direction"],
    )
    assert (fixed.unit_price, fixed.to_verify) == (D("60.00"), False)
    entry = AuditEntry.objects.get(action="billing.tariff.correct")
    assert entry.changes["to_verify"] == [True, False]
    assert entry.object_id == str(gl2.pk)
    # A tariff already used by an invoice keeps its amount: a new dated tariff is the way.
    make_invoice(by=staff["soignant"], practitioner=staff["soignant"], site=site)
    g30 = Tariff.objects.get(act__code="G", valid_from=datetime.date(2024, 12, 22))
    with pytest.raises(BillingError, match="déjà servi à 1 ligne"):
        tariffs.tariff_correct(
            tariff=g30, unit_price=D("31.00"), source="x", to_verify=False, by=staff["direction"]
        )
    tariffs.tariff_correct(
        tariff=g30, source="Arrêté du 20 juin 2024", to_verify=False, by=staff["direction"]
    )
    g30.refresh_from_db()
    assert (g30.unit_price, g30.source) == (D("30.00"), "Arrêté du 20 juin 2024")


@pytest.mark.django_db
def test_api_director_adds_and_checks_a_tariff(
    client_for: Callable[[str | None], Client], staff: dict[str, User]
) -> None:
    from billing.models import Tariff
    from centre.models import AuditEntry

    director = client_for("direction")
    body = {
        "act": "tcg",
        "unit_price": "27.00",
        "amo_rate": "0.70",
        "valid_from": "2026-09-01",
        "source": "Avenant (test)",
        "to_verify": True,
    }
    refused = client_for("facturation").post(
        "/api/v1/fee-schedule/tariffs/", body, content_type="application/json"
    )
    assert refused.status_code == 403
    created = director.post("/api/v1/fee-schedule/tariffs/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert (data["act"], data["unit_price"], data["valid_from"], data["to_verify"]) == (
        "TCG",
        "27.00",
        "2026-09-01",
        True,
    )
    assert price("TCG", "2026-08-31") == D("25.00")
    assert price("TCG", "2026-09-01") == D("27.00")
    checked = director.patch(
        f"/api/v1/fee-schedule/tariffs/{data['id']}/",
        {"source": "Avenant (vérifié)", "to_verify": False},
        content_type="application/json",
    )
    assert checked.status_code == 200, checked.json()
    assert Tariff.objects.get(pk=data["id"]).to_verify is False
    assert AuditEntry.objects.filter(action="billing.tariff.correct").count() == 1
    unknown = director.post(
        "/api/v1/fee-schedule/tariffs/", {**body, "act": "ZZZ"}, content_type="application/json"
    )
    assert unknown.status_code == 400
    assert "inconnu de la nomenclature" in str(unknown.json())
