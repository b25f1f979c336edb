"""The billing rules of issue 15, one test per rule, amounts computed by hand to the cent:
care pathway read from the médecin traitant record, pathway indicator chosen at the close,
work accident (only the related care at 100 %), invalidity, AME without identifier."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from billing.errors import BillingError
from billing.models import Claim, ClaimStatus
from billing.pricing import (
    ActKind,
    Exemption,
    InsuranceNature,
    Pathway,
    PathwayError,
    PricedAct,
    compute_split,
)
from billing.services import invoices
from centre.models import Site, User
from patients.coverage import ComplementaryCover, CoverageSummary, WorkAccident
from patients.models import Coverage, CoverageKind
from tests.billing.factories import ON, make_invoice, make_patient

D = Decimal
ClientFor = Callable[[str | None], Client]
MUTUELLE = ComplementaryCover("Mutuelle du Poitou", "12345678", "C1", tiers_payant=True)


def g() -> PricedAct:
    return PricedAct("G", "Consultation", D("30.00"), D(1), D("0.70"), ActKind.DOCTOR, False, True)


def cover(**kw: object) -> CoverageSummary:
    values: dict[str, object] = {"on": ON, "age": 40, "has_amo": True, "amo_caisse": "861"}
    values.update(kw)
    return CoverageSummary(**values)  # type: ignore[arg-type]


ELSEWHERE = {"has_medecin_traitant": True, "medecin_traitant_name": "Dr Roux"}
AT_CENTRE = {"has_medecin_traitant": True, "medecin_traitant_in_centre": True}


# --- care pathway (CSS, art. L162-5-3 and R322-1-1) -------------------------------------------


def test_medecin_traitant_elsewhere_without_referral_is_outside_the_pathway() -> None:
    split = compute_split(acts=[g()], coverage=cover(amc=MUTUELLE, **ELSEWHERE))
    # 30 % of 30.00 = 9.00; the mutuelle covers the normal TM 30 % = 9.00; the patient keeps
    # the 40 % penalty = 12.00; PF 2.00.
    assert (split.amo, split.amc, split.patient_due, split.pf) == (
        D("9.00"),
        D("9.00"),
        D("12.00"),
        D("2.00"),
    )
    assert split.pathway == Pathway.OUT and split.out_of_pathway
    assert split.pathway_reason.startswith(
        "Hors parcours : médecin traitant déclaré ailleurs (Dr Roux), sans orientation."
    )
    assert split.notes[0].startswith("Parcours de soins — Hors parcours")


def test_medecin_traitant_at_the_centre_is_in_the_pathway() -> None:
    split = compute_split(acts=[g()], coverage=cover(**AT_CENTRE))
    assert (split.amo, split.patient_due, split.pathway) == (
        D("21.00"),
        D("9.00"),
        Pathway.MEDECIN_TRAITANT,
    )


@pytest.mark.parametrize("code", [Pathway.REFERRED, Pathway.EMERGENCY, Pathway.AWAY_FROM_HOME])
def test_referral_emergency_or_away_from_home_keeps_70_percent(code: str) -> None:
    split = compute_split(acts=[g()], coverage=cover(**ELSEWHERE), pathway=code)
    assert (split.amo, split.patient_due, split.pathway) == (D("21.00"), D("9.00"), code)


def test_under_16_has_no_pathway_rule_and_no_pf() -> None:
    split = compute_split(acts=[g()], coverage=cover(age=15, **ELSEWHERE))
    assert (split.amo, split.pf, split.pathway) == (D("21.00"), D("0.00"), Pathway.UNDER_16)


def test_ame_has_no_pathway_rule() -> None:
    split = compute_split(acts=[g()], coverage=cover(ame=True, has_amo=False))
    assert (split.amo, split.pathway) == (D("30.00"), Pathway.NOT_APPLICABLE)


def test_direct_access_gynaecology() -> None:
    cs = PricedAct("CS", "Gynécologie", D("32.00"), D(1), D("0.70"), ActKind.DOCTOR)
    split = compute_split(acts=[cs], coverage=cover(), direct_access=True)
    # 0.70 × 32.00 = 22.40, TM 9.60.
    assert (split.amo, split.patient_due, split.pathway) == (
        D("22.40"),
        D("9.60"),
        Pathway.DIRECT_ACCESS,
    )


def test_a_pathway_indicator_contradicting_the_record_is_refused() -> None:
    with pytest.raises(PathwayError, match="exerce hors du centre"):
        compute_split(acts=[g()], coverage=cover(**ELSEWHERE), pathway=Pathway.MEDECIN_TRAITANT)
    with pytest.raises(PathwayError, match="16 ans ou plus"):
        compute_split(acts=[g()], coverage=cover(), pathway=Pathway.UNDER_16)


@pytest.mark.django_db
def test_closing_reads_the_medecin_traitant_record(staff: dict[str, User], site: Site) -> None:
    patient = make_patient(medecin_traitant=False)
    Coverage.objects.create(
        patient=patient,
        kind=CoverageKind.MEDECIN_TRAITANT,
        start=datetime.date(2024, 1, 1),
        doctor_name="Dr Roux",
        doctor_in_centre=False,
    )
    invoice = make_invoice(
        by=staff["soignant"], practitioner=staff["soignant"], site=site, patient=patient
    )
    assert (invoice.amo, invoice.patient_due, invoice.out_of_pathway) == (
        D("9.00"),
        D("21.00"),
        True,
    )
    assert invoice.pathway == Pathway.OUT
    assert "médecin traitant déclaré ailleurs (Dr Roux), sans orientation" in invoice.pathway_reason
    # Referred by Dr Roux: chosen at the close, kept on a new version of the invoice.
    referred = invoices.invoice_create(
        patient=patient,
        practitioner=staff["soignant"].profile,
        site=site,
        on=ON,
        acts=[invoices.ActChoice("G")],
        by=staff["soignant"],
        pathway=Pathway.REFERRED,
    )
    assert (referred.amo, referred.patient_due, referred.pathway) == (
        D("21.00"),
        D("9.00"),
        Pathway.REFERRED,
    )
    assert referred.pathway_chosen
    new = invoices.invoice_correct(
        invoice=referred, acts=[invoices.ActChoice("GS")], reason="GS", by=staff["facturation"]
    )
    assert (new.pathway, new.amo) == (Pathway.REFERRED, D("21.00"))
    with pytest.raises(BillingError, match="exerce hors du centre") as refused:
        invoices.invoice_create(
            patient=patient,
            practitioner=staff["soignant"].profile,
            site=site,
            on=ON,
            acts=[invoices.ActChoice("G")],
            by=staff["soignant"],
            pathway=Pathway.MEDECIN_TRAITANT,
        )
    assert refused.value.field == "pathway"


# --- work accident (CSS, art. L431-1, L432-1) -------------------------------------------------

AT = WorkAccident(number="AT2025-0042", date=datetime.date(2025, 2, 3), label="Chute")


def test_only_care_related_to_the_work_accident_is_at_100_percent() -> None:
    coverage = cover(work_accident=True, work_accidents=(AT,), **AT_CENTRE)
    unrelated = compute_split(acts=[g()], coverage=coverage)
    assert (unrelated.amo, unrelated.patient_due) == (D("21.00"), D("9.00"))
    assert (unrelated.insurance_nature, unrelated.exemption) == (InsuranceNature.SICKNESS, "")
    related = compute_split(acts=[g()], coverage=coverage, related_to_work_accident=True)
    # 100 % of 30.00 under the AT/MP insurance; the PF still applies (2.00).
    assert (related.amo, related.patient_due, related.pf) == (D("30.00"), D("0.00"), D("2.00"))
    assert (related.insurance_nature, related.exemption) == (
        InsuranceNature.WORK_ACCIDENT,
        Exemption.WORK_ACCIDENT,
    )
    assert (related.work_accident_number, related.work_accident_date) == (
        "AT2025-0042",
        datetime.date(2025, 2, 3),
    )


def test_related_to_a_work_accident_that_is_not_open_is_sickness() -> None:
    split = compute_split(acts=[g()], coverage=cover(**AT_CENTRE), related_to_work_accident=True)
    assert (split.amo, split.insurance_nature) == (D("21.00"), InsuranceNature.SICKNESS)
    assert any("aucun accident du travail ouvert" in n for n in split.notes)


@pytest.mark.django_db
def test_work_accident_on_the_invoice(staff: dict[str, User], site: Site) -> None:
    patient = make_patient()
    Coverage.objects.create(
        patient=patient,
        kind=CoverageKind.WORK_ACCIDENT,
        start=datetime.date(2025, 2, 3),
        contract="AT2025-0042",
        label="Chute sur le chantier",
    )
    plain = make_invoice(
        by=staff["soignant"], practitioner=staff["soignant"], site=site, patient=patient
    )
    assert (plain.amo, plain.insurance_nature) == (D("21.00"), InsuranceNature.SICKNESS)
    related = invoices.invoice_create(
        patient=patient,
        practitioner=staff["soignant"].profile,
        site=site,
        on=ON,
        acts=[invoices.ActChoice("G")],
        by=staff["soignant"],
        related_to_work_accident=True,
    )
    assert (related.amo, related.patient_due, related.insurance_nature) == (
        D("30.00"),
        D("0.00"),
        InsuranceNature.WORK_ACCIDENT,
    )
    assert (related.work_accident_number, related.work_accident_date, related.exemption) == (
        "AT2025-0042",
        datetime.date(2025, 2, 3),
        Exemption.WORK_ACCIDENT,
    )


# --- invalidity pensioners (CSS, art. L160-14) --------------------------------------------------


def test_invalidity_pensioner_is_exempt_from_the_ticket_moderateur_not_from_the_pf() -> None:
    split = compute_split(acts=[g()], coverage=cover(invalidity=True, **AT_CENTRE))
    assert (split.amo, split.patient_due, split.pf, split.exemption) == (
        D("30.00"),
        D("0.00"),
        D("2.00"),
        Exemption.INVALIDITY,
    )


@pytest.mark.django_db
def test_invalidity_read_from_the_coverage(staff: dict[str, User], site: Site) -> None:
    patient = make_patient()
    Coverage.objects.create(
        patient=patient, kind=CoverageKind.INVALIDITY, start=datetime.date(2024, 1, 1)
    )
    invoice = make_invoice(
        by=staff["soignant"], practitioner=staff["soignant"], site=site, patient=patient
    )
    assert (invoice.amo, invoice.patient_due, invoice.exemption) == (
        D("30.00"),
        D("0.00"),
        Exemption.INVALIDITY,
    )


# --- AME without identifier --------------------------------------------------------------------


@pytest.mark.django_db
def test_ame_claim_without_identifier_is_not_ready(staff: dict[str, User], site: Site) -> None:
    patient = make_patient(amo=False, ame=True, nir="", medecin_traitant=False)
    invoice = make_invoice(
        by=staff["soignant"], practitioner=staff["soignant"], site=site, patient=patient
    )
    claim = Claim.objects.get(invoice=invoice)
    assert (claim.payer_type, claim.amount, claim.status) == ("AMO", D("30.00"), ClaimStatus.DRAFT)
    assert invoice.issues == [
        "AME sans identifiant : saisir dans le dossier patient le n° d'immatriculation "
        "(NIR ou NIA) inscrit sur l'attestation AME."
    ]
    # Still not ready after a re-check without the number; ready once it is entered.
    invoices.invoice_recheck(invoice=invoice, by=staff["facturation"])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT
    patient.nir = "185067511212345"
    patient.save(update_fields=["nir"])
    invoices.invoice_recheck(invoice=invoice, by=staff["facturation"])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY


# --- the API door -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_preview_says_the_pathway_and_refuses_a_wrong_indicator(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    patient = make_patient(medecin_traitant=False)
    Coverage.objects.create(
        patient=patient,
        kind=CoverageKind.MEDECIN_TRAITANT,
        start=datetime.date(2024, 1, 1),
        doctor_name="Dr Roux",
    )
    client = client_for("soignant")
    body = {"patient": patient.pk, "date": "2025-03-10", "acts": [{"code": "G"}]}
    response = client.post("/api/v1/invoices/preview/", body, content_type="application/json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["amo"], data["patient_due"], data["pathway"]) == ("9.00", "21.00", "hors_parcours")
    assert data["pathway_reason"].startswith("Hors parcours : médecin traitant déclaré ailleurs")
    refused = client.post(
        "/api/v1/invoices/preview/",
        {**body, "pathway": "mt"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "exerce hors du centre" in str(refused.json())


@pytest.mark.django_db
def test_close_page_explains_the_pathway_in_words(
    client_for: ClientFor, staff: dict[str, User], site: Site
) -> None:
    from django.urls import reverse

    from billing.models import Invoice
    from tests.billing.test_views import appointment_for

    appointment = appointment_for(staff["soignant"], site, staff["accueil"], medecin_traitant=False)
    Coverage.objects.create(
        patient=appointment.patient,
        kind=CoverageKind.MEDECIN_TRAITANT,
        start=datetime.date(2024, 1, 1),
        doctor_name="Dr Roux",
    )
    url = reverse("billing:close_consultation", args=[appointment.pk])
    client = client_for("soignant")
    preview = client.post(url, {"acts": "G", "preview": "1"}).content.decode()
    words = "Hors parcours : médecin traitant déclaré ailleurs (Dr Roux), sans orientation."
    assert words in preview.replace("&#x27;", "'")
    assert "choisissez-le avant de clôturer" in preview
    client.post(url, {"acts": "G"})
    invoice = Invoice.objects.get()
    assert (invoice.amo, invoice.patient_due, invoice.pathway) == (
        D("9.00"),
        D("21.00"),
        Pathway.OUT,
    )
    detail = client.get(reverse("billing:invoice_detail", args=[invoice.pk])).content.decode()
    assert words in detail.replace("&#x27;", "'")
