"""Acts of every profession with their dated tariffs (0006_br_fee_schedule_acts), home visit
VG + MD, compulsory examinations of the child and of pregnancy at 100 %. Amounts by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from billing.errors import BillingError
from billing.models import Act, Invoice
from billing.pricing import Exemption, InsuranceNature
from billing.services import invoices
from centre.models import Profession, Site, User
from patients.models import Patient
from tests.billing.factories import ON, make_invoice, make_patient
from tests.factories import make_staff

D = Decimal
pytestmark = pytest.mark.django_db


def bill(who: User, site: Site, acts: list[tuple[str, Decimal | None]], **kw: object) -> Invoice:
    patient = kw.pop("patient", None) or make_patient()
    assert isinstance(patient, Patient)
    return invoices.invoice_create(
        patient=patient,
        practitioner=who.profile,
        site=site,
        on=kw.pop("on", ON),  # type: ignore[arg-type]
        acts=[invoices.ActChoice(c, k) for c, k in acts],
        by=who,
        **kw,  # type: ignore[arg-type]
    )


def test_every_profession_but_dieticians_has_acts() -> None:
    covered = {p for act in Act.objects.filter(is_active=True) for p in act.professions}
    # No AMO scheme pays dieticians' consultations.
    assert set(Profession.values) - covered == {Profession.DIETETICIEN}


def test_home_visit_vg_plus_md_two_lines(staff: dict[str, User], site: Site) -> None:
    invoice = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        acts=[("VG", None), ("MD", None)],
    )
    lines = [(ln.code, ln.amount, ln.amo) for ln in invoice.lines.all()]
    # VG 30.00 × 70 % = 21.00 ; MD 10.00 × 70 % = 7.00 ; one PF (MD is a majoration).
    assert lines == [("VG", D("30.00"), D("21.00")), ("MD", D("10.00"), D("7.00"))]
    assert (invoice.total, invoice.amo, invoice.patient_due, invoice.pf) == (
        D("40.00"),
        D("28.00"),
        D("12.00"),
        D("2.00"),
    )
    unjustified = make_invoice(
        by=staff["soignant"], practitioner=staff["soignant"], site=site, acts=[("VG", None)]
    )
    assert (unjustified.total, unjustified.amo) == (D("30.00"), D("21.00"))
    with pytest.raises(BillingError, match="MD se facture avec l'acte VG"):
        make_invoice(
            by=staff["soignant"],
            practitioner=staff["soignant"],
            site=site,
            acts=[("G", None), ("MD", None)],
        )


def test_compulsory_child_examination_with_certificate(staff: dict[str, User], site: Site) -> None:
    baby = make_patient(birth_date=datetime.date(2024, 6, 1), medecin_traitant=False)
    coe = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        patient=baby,
        acts=[("COE", None)],
    )
    # COE 54.00 paid 100 % by the AMO (ameli, « Les examens de santé de l'enfant »).
    assert (coe.total, coe.amo, coe.patient_due, coe.pf, coe.exemption) == (
        D("54.00"),
        D("54.00"),
        D("0.00"),
        D("0.00"),
        Exemption.CHILD_EXAM,
    )
    before = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        patient=baby,
        on=datetime.date(2024, 6, 5),
        acts=[("COE", None)],
    )
    assert (before.total, before.amo) == (D("46.00"), D("46.00"))
    cod = make_invoice(
        by=staff["soignant"],
        practitioner=staff["soignant"],
        site=site,
        patient=baby,
        on=datetime.date(2025, 4, 2),
        acts=[("COD", None)],
    )
    assert (cod.total, cod.amo, cod.patient_due) == (D("35.00"), D("35.00"), D("0.00"))


def test_nurse_physio_acts_with_franchise(site: Site) -> None:
    nurse = make_staff("soignant", sites=[site], profession=Profession.INFIRMIER)
    ais = bill(nurse, site, [("AIS", D("3"))])
    # AIS 3 × 2.65 = 7.95 ; AMO 60 % = 4.77 ; TM 3.18 ; franchise 1.00.
    assert (ais.total, ais.amo, ais.patient_due, ais.franchise, ais.pf) == (
        D("7.95"),
        D("4.77"),
        D("3.18"),
        D("1.00"),
        D("0.00"),
    )
    bsb = bill(nurse, site, [("BSB", None), ("IFD", None)])
    # BSB 18.20 + IFD 2.75 = 20.95 ; AMO 10.92 + 1.65 = 12.57 ; one franchise (IFD is not an
    # act of its own).
    assert (bsb.total, bsb.amo, bsb.patient_due, bsb.franchise) == (
        D("20.95"),
        D("12.57"),
        D("8.38"),
        D("1.00"),
    )
    physio = make_staff("soignant", sites=[site], profession=Profession.KINESITHERAPEUTE)
    amk = bill(physio, site, [("AMK", D("8"))])
    # AMK 8 × 2.15 = 17.20 ; AMO 60 % = 10.32 ; TM 6.88.
    assert (amk.total, amk.amo, amk.patient_due, amk.franchise) == (
        D("17.20"),
        D("10.32"),
        D("6.88"),
        D("1.00"),
    )


def test_midwife_consultation_and_compulsory_prenatal_exam(site: Site) -> None:
    midwife = make_staff("soignant", sites=[site], profession=Profession.SAGE_FEMME)
    plain = bill(midwife, site, [("C", None)])
    # C 25.00 × 70 % = 17.50 ; TM 7.50 ; neither PF nor franchise for a midwife's act.
    assert (plain.total, plain.amo, plain.patient_due, plain.pf, plain.franchise) == (
        D("25.00"),
        D("17.50"),
        D("7.50"),
        D("0.00"),
        D("0.00"),
    )
    prenatal = bill(midwife, site, [("C", None)], prenatal_exam=True)
    assert (prenatal.amo, prenatal.patient_due, prenatal.insurance_nature, prenatal.exemption) == (
        D("25.00"),
        D("0.00"),
        InsuranceNature.MATERNITY,
        Exemption.PRENATAL_EXAM,
    )


def test_prenatal_exam_by_a_gp_has_no_pf(staff: dict[str, User], site: Site) -> None:
    invoice = bill(staff["soignant"], site, [("G", None)], prenatal_exam=True)
    assert (invoice.amo, invoice.patient_due, invoice.pf) == (D("30.00"), D("0.00"), D("0.00"))


def test_psychologist_mon_soutien_psy(site: Site) -> None:
    psy = make_staff("soignant", sites=[site], profession=Profession.PSYCHOLOGUE)
    now = bill(psy, site, [("PSY", None)])
    # 50.00 × 60 % = 30.00 ; TM 20.00 ; no PF, no franchise.
    assert (now.total, now.amo, now.patient_due, now.pf, now.franchise) == (
        D("50.00"),
        D("30.00"),
        D("20.00"),
        D("0.00"),
        D("0.00"),
    )
    before = bill(psy, site, [("PSY", None)], on=datetime.date(2024, 3, 1))
    assert (before.total, before.amo) == (D("30.00"), D("18.00"))


def test_gynaecologist_cs_plus_mcs(site: Site) -> None:
    gyn = make_staff("soignant", sites=[site], profession=Profession.GYNECOLOGUE)
    with pytest.raises(BillingError, match="orientée par son médecin traitant"):
        bill(gyn, site, [("CS", None), ("MCS", None)])  # default: direct access, no MCS
    invoice = bill(gyn, site, [("CS", None), ("MCS", None)], pathway="oriente")
    # CS 32.00 + MCS 5.00 = 37.00 ; AMO 22.40 + 3.50 = 25.90 ; TM 11.10 ; PF 2.00.
    assert (invoice.total, invoice.amo, invoice.patient_due, invoice.pf, invoice.pathway) == (
        D("37.00"),
        D("25.90"),
        D("11.10"),
        D("2.00"),
        "oriente",
    )
    alone = bill(gyn, site, [("CS", None)])
    assert (alone.total, alone.amo, alone.pathway) == (D("32.00"), D("22.40"), "acces_direct")
    with pytest.raises(BillingError, match="MCS se facture avec l'acte CS"):
        bill(gyn, site, [("APC", None), ("MCS", None)])
