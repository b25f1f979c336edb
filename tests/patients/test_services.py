from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from centre.models import AuditEntry, User
from patients.coverage import coverage_summary
from patients.models import Coverage, CoverageKind, Patient
from patients.services import coverage, duplicates, gdpr, identity
from tests.patients.factories import CoverageFactory, PatientFactory, make_nir

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def clerk(staff: dict[str, User]) -> User:
    return staff["accueil"]


def test_create_normalises_audits_and_flags_provisional_nir(clerk: User) -> None:
    body = "7840386194123"
    from patients.identifiers import nir_key

    patient = identity.patient_register(
        values={
            "last_name": "  Dupont ",
            "first_name": "Hélène",
            "sex": "F",
            "birth_date": D(1984, 3, 12),
            "nir": body + nir_key(body),
            "phone": "06 12 34 56 78",
        },
        by=clerk,
    )
    assert patient.last_name == "Dupont"
    assert patient.phone == "+33612345678"
    assert patient.nir_needs_review is True
    entry = AuditEntry.objects.get(action="patient.create")
    assert entry.object_id == str(patient.pk)
    assert entry.changes["phone"] == [None, "+33612345678"]


def test_create_refuses_inconsistent_nir_and_saves_nothing(clerk: User) -> None:
    with pytest.raises(ValidationError) as error:
        identity.patient_register(
            values={
                "last_name": "Dupont",
                "first_name": "Paul",
                "sex": "M",
                "birth_date": D(1984, 3, 12),
                "nir": make_nir("F", D(1984, 3, 12)),
                "phone": "12",
            },
            by=clerk,
        )
    assert set(error.value.message_dict) == {"nir", "phone"}
    assert Patient.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_qpv_flag_suggested_from_the_street_list(clerk: User) -> None:
    from django.core.management import call_command

    call_command("load_qpv_streets", verbosity=0)
    patient = identity.patient_register(
        values={
            "last_name": "Diallo",
            "first_name": "Awa",
            "sex": "F",
            "birth_date": D(1990, 1, 1),
            "address": "12 bis, rue de Slovénie",
            "city": "Poitiers",
        },
        by=clerk,
    )
    assert patient.in_qpv is True


def test_new_coverage_closes_the_current_one_and_keeps_history(clerk: User) -> None:
    patient = PatientFactory()
    first = coverage.coverage_add(
        patient=patient,
        values={"kind": "amo", "start": D(2024, 1, 1), "scheme_code": "01", "caisse_code": "861"},
        by=clerk,
    )
    coverage.coverage_add(
        patient=patient,
        values={"kind": "amo", "start": D(2025, 6, 1), "scheme_code": "01", "caisse_code": "751"},
        by=clerk,
    )
    first.refresh_from_db()
    assert first.end == D(2025, 5, 31)
    assert Coverage.objects.filter(patient=patient).count() == 2
    assert coverage_summary(patient, D(2025, 5, 31)).amo_caisse == "861"
    assert coverage_summary(patient, D(2025, 6, 1)).amo_caisse == "751"
    with pytest.raises(ValidationError) as error:
        coverage.coverage_add(
            patient=patient, values={"kind": "amo", "start": D(2025, 6, 1)}, by=clerk
        )
    assert "start" in error.value.message_dict
    # Several ALD at once are allowed.
    for label in ("Diabète", "Asthme sévère"):
        coverage.coverage_add(
            patient=patient,
            values={"kind": "ald", "start": D(2025, 1, 1), "label": label},
            by=clerk,
        )
    assert coverage_summary(patient, D(2025, 7, 1)).ald_labels == ("Diabète", "Asthme sévère") or (
        set(coverage_summary(patient, D(2025, 7, 1)).ald_labels) == {"Diabète", "Asthme sévère"}
    )


def test_coverage_summary_for_billing(django_assert_num_queries: object) -> None:
    patient = PatientFactory(birth_date=D(1980, 6, 15), nir=make_nir("F", D(1980, 6, 15)))
    CoverageFactory(patient=patient, start=D(2020, 1, 1), end=D(2025, 3, 31))
    CoverageFactory(patient=patient, amc=True, start=D(2024, 1, 1), contract="C42")
    CoverageFactory(patient=patient, kind=CoverageKind.MEDECIN_TRAITANT, doctor_in_centre=True)
    CoverageFactory(patient=patient, kind=CoverageKind.ALD, ald_code="41", label="Diabète")
    CoverageFactory(
        patient=patient, kind=CoverageKind.MATERNITY, start=D(2025, 3, 1), end=D(2025, 7, 12)
    )
    with django_assert_num_queries(1):  # type: ignore[operator]
        summary = coverage_summary(patient, D(2025, 3, 10))
    assert summary.age == 44
    assert summary.has_amo and summary.amo_scheme == "01" and summary.amo_caisse == "861"
    assert summary.insured_nir == patient.nir == summary.beneficiary_nir
    assert summary.amc is not None and summary.amc.tiers_payant and summary.amc.contract == "C42"
    assert summary.has_medecin_traitant and summary.medecin_traitant_in_centre
    assert summary.ald and summary.ald_labels == ("Diabète",)
    assert summary.maternity and not summary.c2s and not summary.ame
    assert summary.rights_ending_on == D(2025, 3, 31)
    assert not summary.no_rights
    after = coverage_summary(patient, D(2025, 4, 1))
    assert after.no_rights and not after.has_amo
    assert after.warnings == ("Aucun droit à l'assurance maladie ni à l'AME à cette date.",)


def test_coverage_summary_c2s_and_ame() -> None:
    c2s = CoverageFactory(kind=CoverageKind.C2S, with_contribution=True).patient
    CoverageFactory(patient=c2s)
    summary = coverage_summary(c2s, D(2025, 3, 10))
    assert summary.c2s and summary.c2s_with_contribution and summary.has_amo
    ame = CoverageFactory(kind=CoverageKind.AME, start=D(2025, 1, 1), end=D(2025, 12, 31)).patient
    summary = coverage_summary(ame, D(2025, 3, 10))
    assert summary.ame and not summary.has_amo and not summary.no_rights
    dependant = CoverageFactory(insured_nir=make_nir("M", D(1970, 1, 1))).patient
    assert coverage_summary(dependant, D(2025, 1, 1)).insured_nir == make_nir("M", D(1970, 1, 1))


def test_anonymise_erases_identity_keeps_rows(staff: dict[str, User]) -> None:
    patient = PatientFactory(
        last_name="Dupont",
        phone="+33612345678",
        nir=make_nir("F", D(1984, 3, 12)),
        birth_date=D(1984, 3, 12),
        admin_notes="vient avec sa fille",
    )
    CoverageFactory(patient=patient, insured_nir=patient.nir)
    gdpr.patient_anonymise(patient=patient, by=staff["direction"])
    patient.refresh_from_db()
    assert patient.last_name == "ANONYME" and patient.nir == "" and patient.phone == ""
    assert patient.birth_date == D(1984, 1, 1) and patient.anonymised_at is not None
    assert patient.coverages.get().insured_nir == ""
    entry = AuditEntry.objects.get(action="patient.anonymise")
    assert "Dupont" not in str(entry.extra) and "nir" in entry.extra["erased"]
    with pytest.raises(identity.PatientError):
        gdpr.patient_anonymise(patient=patient, by=staff["direction"])


def test_export_contains_identity_and_coverage() -> None:
    patient = PatientFactory(last_name="Dupont")
    CoverageFactory(patient=patient)
    data = gdpr.patient_export_data(patient)
    assert data["identity"]["last_name"] == "Dupont"
    assert data["coverages"][0]["kind"] == "amo"
    assert isinstance(data["timeline"], list)
    assert data["not_duplicate_marks"] == []


def test_export_lists_the_not_duplicate_marks_of_the_record(staff: dict[str, User]) -> None:
    twin, sister, other = PatientFactory(), PatientFactory(), PatientFactory()
    mark = duplicates.patients_mark_not_duplicates(
        first=sister, second=twin, by=staff["direction"], reason="jumelles"
    )
    duplicates.patients_mark_not_duplicates(first=sister, second=other, by=staff["direction"])
    # When the check was made, never the other record nor the reason: they concern another
    # person (GDPR art. 15(4)).
    assert gdpr.patient_export_data(twin)["not_duplicate_marks"] == [
        {"decided_at": mark.decided_at.isoformat()}
    ]
    assert "jumelles" not in str(gdpr.patient_export_data(twin))
    assert len(gdpr.patient_export_data(sister)["not_duplicate_marks"]) == 2


def test_update_checks_nir_against_existing_sex(clerk: User) -> None:
    patient = PatientFactory(sex="M", birth_date=D(1984, 3, 12))
    with pytest.raises(ValidationError) as error:
        identity.patient_update(
            patient=patient, values={"nir": make_nir("F", D(1984, 3, 12))}, by=clerk
        )
    assert "nir" in error.value.message_dict
    updated = identity.patient_update(
        patient=patient, values={"nir": make_nir("M", D(1984, 3, 12))}, by=clerk
    )
    assert updated.nir == make_nir("M", D(1984, 3, 12))
    entry = AuditEntry.objects.get(action="patient.update")
    assert entry.changes == {"nir": ["", updated.nir]}
    assert timezone.now() >= entry.at


def test_every_service_checks_the_role_of_whoever_calls_it(staff: dict[str, User]) -> None:
    """The pages check roles too, but a task, a command or a new door calling a service gets
    the same refusal (patients/perms.py)."""
    from centre.refusals import Forbidden

    patient = PatientFactory(sex="F", birth_date=D(1984, 3, 12), email="")
    other = PatientFactory()
    with pytest.raises(Forbidden):
        identity.patient_update(
            patient=patient, values={"email": "a@b.fr"}, by=staff["facturation"]
        )
    # Billing clerks correct the NIR, and only the NIR.
    identity.patient_update(patient=patient, values={"nir": make_nir()}, by=staff["facturation"])
    with pytest.raises(Forbidden):
        identity.patient_update(patient=patient, values={"email": "a@b.fr"}, by=staff["mediation"])
    with pytest.raises(Forbidden):
        coverage.coverage_add(
            patient=patient, values={"kind": "amo", "start": D(2025, 1, 1)}, by=staff["mediation"]
        )
    with pytest.raises(Forbidden):
        duplicates.patients_merge(keep=patient, merged=other, by=staff["accueil"])
    with pytest.raises(Forbidden):
        duplicates.patients_mark_not_duplicates(first=patient, second=other, by=staff["accueil"])
    with pytest.raises(Forbidden):
        gdpr.patient_anonymise(patient=patient, by=staff["accueil"])
    with pytest.raises(Forbidden):
        gdpr.patient_export(by=staff["accueil"], patient=patient, fmt="json")
    patient.refresh_from_db()
    assert patient.nir == make_nir() and patient.email == "" and patient.is_active
    assert not Coverage.objects.filter(patient=patient).exists()
    assert list(
        AuditEntry.objects.filter(object_id=str(patient.pk)).values_list("action", flat=True)
    ) == ["patient.update"]


def test_patient_data_has_no_admin_door() -> None:
    from django.contrib import admin

    from patients.models import NotDuplicatePair, QpvStreet

    for model in (Patient, Coverage, NotDuplicatePair):
        assert not admin.site.is_registered(model)
    assert admin.site.is_registered(QpvStreet)  # reference data only
