"""Identity status: each RNIV transition, what lowers it, the INSi simulator's answers."""

from __future__ import annotations

import datetime

import pytest
from django.test import override_settings

from centre.models import AuditEntry, User
from centre.refusals import Kind, Refusal
from patients import insi
from patients.identifiers import nir_key
from patients.models import InsOid, Patient
from patients.services import identity, identity_status
from patients.services.identity import PatientError
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def clerk(staff: dict[str, User]) -> User:
    return staff["accueil"]


def make_person(**overrides: object) -> Patient:
    values: dict[str, object] = {
        "last_name": "Dupont",
        "birth_name": "Martin",
        "first_name": "Hélène",
        "birth_first_names": ["Hélène", "Marie"],
        "first_birth_first_name": "Hélène",
        "sex": "F",
        "birth_date": D(1984, 3, 12),
        "birth_place_id": "86194",
    }
    values.update(overrides)
    patient = PatientFactory.create(**values)
    return patient


def statuses(patient: Patient) -> tuple[str, str, str]:
    patient.refresh_from_db()
    return patient.identity_status, patient.identity_document, patient.ins_matricule


# --- the INSi simulator -------------------------------------------------------------------


SIM = insi.SimulatorInsiBackend()


def query(name: str, **kw: object) -> insi.TraitsQuery:
    values: dict[str, object] = {
        "birth_name": name,
        "first_name": "Hélène, Marie",
        "sex": "F",
        "birth_date": D(1984, 3, 12),
        "birth_place_code": "86194",
    }
    values.update(kw)
    return insi.TraitsQuery(**values)  # type: ignore[arg-type]


def test_simulator_found_returns_rnipp_traits_and_a_stable_nir_shaped_matricule() -> None:
    answer = SIM.search_by_traits(query("Martin"))
    assert answer.outcome is insi.SearchOutcome.FOUND
    assert answer.traits == insi.InsiTraits(
        birth_name="MARTIN",
        first_names=("HELENE", "MARIE"),
        first_first_name="HELENE",
        sex="F",
        birth_date=D(1984, 3, 12),
        birth_place_code="86194",
    )
    assert answer.ins is not None
    number = answer.ins.matricule
    assert number[:10] == "2840386194"
    assert number[13:] == nir_key(number[:13])
    assert answer.ins.oid == InsOid.TEST_NIR
    assert SIM.search_by_traits(query("Martin")).ins == answer.ins


def test_simulator_not_found_several_and_nia() -> None:
    assert SIM.search_by_traits(query("Inconnu")).outcome is insi.SearchOutcome.NOT_FOUND
    several = SIM.search_by_traits(query("Homonyme"))
    assert (several.outcome, several.ins, several.traits) == (
        insi.SearchOutcome.SEVERAL,
        None,
        None,
    )
    nia = SIM.search_by_traits(query("Attente"))
    assert nia.ins is not None and nia.ins.oid == InsOid.TEST_NIA and nia.ins.kind == "NIA"


def test_simulator_traits_differ_on_search_and_verify() -> None:
    answer = SIM.search_by_traits(query("Écart"))
    assert answer.traits is not None
    assert answer.traits.first_names == ("HELENE", "MARIE", "CLAUDE")
    assert answer.ins is not None
    verdict = SIM.verify(answer.ins, answer.traits)
    assert verdict == insi.VerifyAnswer(insi.VerifyOutcome.TRAITS_DIFFER, ("first_names",))


def test_simulator_verify_checks_what_the_matricule_encodes() -> None:
    answer = SIM.search_by_traits(query("Martin"))
    assert answer.ins is not None and answer.traits is not None
    assert SIM.verify(answer.ins, answer.traits).outcome is insi.VerifyOutcome.CONFORM
    other = insi.InsiTraits(**{**answer.traits.__dict__, "birth_date": D(1985, 3, 12), "sex": "M"})
    assert SIM.verify(answer.ins, other) == insi.VerifyAnswer(
        insi.VerifyOutcome.TRAITS_DIFFER, ("sex", "birth_date")
    )
    broken = insi.InsIdentifier(answer.ins.matricule[:13] + "00", answer.ins.oid)
    assert SIM.verify(broken, answer.traits).outcome is insi.VerifyOutcome.NOT_FOUND


def test_simulator_vitale_gives_the_beneficiarys_own_matricule_not_the_parents() -> None:
    body = "1650586194123"
    parent_nir = body + nir_key(body)
    holder = SIM.search_by_vitale(
        insi.VitaleQuery(parent_nir, "Martin", "Paul", "M", D(1965, 5, 2))
    )
    assert holder.ins is not None and holder.ins.matricule == parent_nir
    child = SIM.search_by_vitale(insi.VitaleQuery(parent_nir, "Martin", "Léa", "F", D(2015, 9, 1)))
    assert child.ins is not None
    assert child.ins.matricule != parent_nir
    assert child.ins.matricule.startswith("21509")


@override_settings(INSI_BACKEND="", ENVIRONMENT="production")
def test_production_without_a_configured_backend_refuses_to_call_insi(clerk: User) -> None:
    patient = make_person()
    with pytest.raises(PatientError) as error:
        identity_status.ins_search(by=clerk, patient=patient)
    assert error.value.kind == Kind.CONFLICT
    assert "INSi n'est pas configuré" in error.value.message
    assert statuses(patient) == ("provisoire", "", "")


# --- transitions ---------------------------------------------------------------------------


def test_document_check_provisional_to_validated_keeps_type_and_date_only(clerk: User) -> None:
    patient = make_person()
    identity_status.identity_document_check(
        by=clerk, patient=patient, document="passeport", checked_on=D(2026, 12, 1)
    )
    patient.refresh_from_db()
    assert patient.identity_status == "validee"
    assert (patient.identity_document, patient.identity_document_checked_on) == (
        "passeport",
        D(2026, 12, 1),
    )
    assert patient.identity_document_checked_by == clerk
    entry = AuditEntry.objects.get(action="patient.identity.document_checked")
    assert entry.changes["identity_status"] == ["provisoire", "validee"]


def test_document_check_needs_the_strict_traits_and_an_adult_document(clerk: User) -> None:
    incomplete = make_person(birth_name="", birth_place_id=None)
    with pytest.raises(PatientError) as error:
        identity_status.identity_document_check(by=clerk, patient=incomplete, document="cni")
    assert "nom de naissance, lieu de naissance (code INSEE)" in error.value.message
    adult = make_person()
    with pytest.raises(PatientError, match="mineur"):
        identity_status.identity_document_check(by=clerk, patient=adult, document="livret_famille")
    child = make_person(birth_date=D(2016, 4, 1))
    identity_status.identity_document_check(by=clerk, patient=child, document="livret_famille")
    assert statuses(child)[0] == "validee"
    assert statuses(incomplete) == ("provisoire", "", "")
    assert not AuditEntry.objects.filter(
        action="patient.identity.document_checked", object_id=str(adult.pk)
    ).exists()


def test_roles_without_identity_edit_cannot_check(staff: dict[str, User]) -> None:
    patient = make_person()
    for role in ("mediation", "soignant", "facturation"):
        with pytest.raises(Refusal) as error:
            identity_status.identity_document_check(by=staff[role], patient=patient, document="cni")
        assert error.value.kind == Kind.FORBIDDEN


def test_ins_found_provisional_to_retrieved_traits_from_insi(clerk: User) -> None:
    patient = make_person()
    result = identity_status.ins_search(by=clerk, patient=patient)
    assert result.outcome == "trouvee" and result.stored
    patient.refresh_from_db()
    assert patient.identity_status == "recuperee"
    assert patient.ins_oid == InsOid.TEST_NIR
    assert patient.ins_matricule[:10] == "2840386194"
    # The strict traits are now INSi's (RNIPP form); the used names are untouched.
    assert (patient.birth_name, patient.birth_first_names) == ("MARTIN", ["HELENE", "MARIE"])
    assert (patient.last_name, patient.first_name) == ("Dupont", "Hélène")
    entry = AuditEntry.objects.get(action="patient.identity.ins_retrieved")
    assert entry.changes["identity_status"] == ["provisoire", "recuperee"]


def test_validated_then_ins_is_qualified_and_retrieved_then_document_too(clerk: User) -> None:
    first = make_person()
    identity_status.identity_document_check(by=clerk, patient=first, document="cni")
    identity_status.ins_search(by=clerk, patient=first)
    assert statuses(first)[0] == "qualifiee"
    second = make_person(birth_name="Bernard")
    identity_status.ins_search(by=clerk, patient=second)
    assert statuses(second)[0] == "recuperee"
    identity_status.identity_document_check(by=clerk, patient=second, document="titre_sejour")
    assert statuses(second)[0] == "qualifiee"


@pytest.mark.parametrize(("name", "outcome"), [("Inconnu", "aucune"), ("Homonyme", "plusieurs")])
def test_ins_not_found_or_several_stores_nothing_and_is_journaled(
    clerk: User, name: str, outcome: str
) -> None:
    patient = make_person(birth_name=name)
    result = identity_status.ins_search(by=clerk, patient=patient)
    assert (result.outcome, result.stored) == (outcome, False)
    assert statuses(patient) == ("provisoire", "", "")
    entry = AuditEntry.objects.get(action="patient.identity.ins_search")
    assert entry.extra["outcome"] == outcome


def test_ins_traits_differ_stores_nothing_unless_reception_accepts(clerk: User) -> None:
    patient = make_person(birth_name="Écart")
    identity_status.identity_document_check(by=clerk, patient=patient, document="cni")
    result = identity_status.ins_search(by=clerk, patient=patient)
    assert (result.outcome, result.differing) == (
        "traits_differents",
        ("birth_first_names",),
    )
    assert statuses(patient) == ("validee", "cni", "")
    accepted = identity_status.ins_search(by=clerk, patient=patient, accept_traits=True)
    assert accepted.stored
    patient.refresh_from_db()
    # INSi's traits replace the record's; the document checked for the old ones no longer counts.
    assert patient.birth_first_names == ["HELENE", "MARIE", "CLAUDE"]
    assert (patient.identity_status, patient.identity_document) == ("recuperee", "")


def test_changing_a_strict_trait_lowers_validated_and_retrieved(clerk: User) -> None:
    validated = make_person()
    identity_status.identity_document_check(by=clerk, patient=validated, document="cni")
    identity.patient_update(by=clerk, patient=validated, values={"birth_name": "Martins"})
    assert statuses(validated) == ("provisoire", "", "")
    lowered = AuditEntry.objects.get(action="patient.identity.lowered")
    assert lowered.extra == {"reason": "strict_traits_changed", "traits": ["birth_name"]}

    retrieved = make_person(birth_name="Bernard")
    identity_status.ins_search(by=clerk, patient=retrieved)
    identity.patient_update(by=clerk, patient=retrieved, values={"birth_place": "86066"})
    assert statuses(retrieved) == ("provisoire", "", "")


def test_other_changes_do_not_lower_the_status(clerk: User) -> None:
    patient = make_person()
    identity_status.identity_document_check(by=clerk, patient=patient, document="cni")
    identity.patient_update(
        by=clerk,
        patient=patient,
        values={"phone": "06 12 34 56 78", "last_name": "Durand", "first_name": "Léna"},
    )
    assert statuses(patient) == ("validee", "cni", "")
    # Same traits typed with other accents/case are not a change of identity either.
    identity.patient_update(by=clerk, patient=patient, values={"birth_place": "86194"})
    assert statuses(patient)[0] == "validee"


def test_qualified_strict_traits_are_read_only_at_reception(
    clerk: User, staff: dict[str, User]
) -> None:
    patient = make_person()
    identity_status.identity_document_check(by=clerk, patient=patient, document="passeport")
    identity_status.ins_search(by=clerk, patient=patient)
    for role in ("accueil", "direction"):
        with pytest.raises(PatientError) as error:
            identity.patient_update(
                by=staff[role], patient=patient, values={"birth_date": D(1984, 3, 13)}
            )
        assert error.value.kind == Kind.FORBIDDEN
        assert error.value.message.startswith("Identité qualifiée : les traits stricts viennent")
    patient.refresh_from_db()
    assert patient.birth_date == D(1984, 3, 12)
    # Used names stay editable.
    identity.patient_update(by=clerk, patient=patient, values={"last_name": "Durand"})
    assert statuses(patient)[0] == "qualifiee"


def test_direction_unqualifies_then_traits_are_editable(staff: dict[str, User]) -> None:
    clerk = staff["accueil"]
    patient = make_person()
    identity_status.identity_document_check(by=clerk, patient=patient, document="passeport")
    identity_status.ins_search(by=clerk, patient=patient)
    with pytest.raises(Refusal):
        identity_status.identity_unqualify(by=clerk, patient=patient, reason="erreur")
    identity_status.identity_unqualify(
        by=staff["direction"], patient=patient, reason="Date de naissance erronée à l'état civil"
    )
    assert statuses(patient) == ("validee", "passeport", "")
    identity.patient_update(by=clerk, patient=patient, values={"birth_date": D(1984, 3, 13)})
    assert statuses(patient) == ("provisoire", "", "")


def test_verify_not_confirmed_drops_the_ins(clerk: User) -> None:
    patient = make_person()
    identity_status.identity_document_check(by=clerk, patient=patient, document="cni")
    identity_status.ins_search(by=clerk, patient=patient)
    assert identity_status.ins_verify(by=clerk, patient=patient) is insi.VerifyOutcome.CONFORM
    assert statuses(patient)[0] == "qualifiee"
    # The INS on record no longer matches (e.g. typed wrongly by another tool).
    Patient.objects.filter(pk=patient.pk).update(ins_matricule="284038619400100")
    patient.refresh_from_db()
    assert identity_status.ins_verify(by=clerk, patient=patient) is insi.VerifyOutcome.NOT_FOUND
    assert statuses(patient) == ("validee", "cni", "")
    entry = AuditEntry.objects.filter(action="patient.identity.ins_verified").latest("id")
    assert entry.extra["outcome"] == "inconnue"


def test_anonymisation_erases_strict_traits_document_and_ins(staff: dict[str, User]) -> None:
    from patients.services import gdpr

    patient = make_person()
    identity_status.identity_document_check(by=staff["accueil"], patient=patient, document="cni")
    identity_status.ins_search(by=staff["accueil"], patient=patient)
    gdpr.patient_anonymise(patient=patient, by=staff["direction"])
    patient.refresh_from_db()
    assert (patient.birth_first_names, patient.first_birth_first_name) == ([], "")
    assert (patient.birth_place_id, patient.birth_name) == (None, "")
    assert (patient.identity_status, patient.identity_document, patient.ins_matricule) == (
        "provisoire",
        "",
        "",
    )
    assert patient.identity_document_checked_by_id is None


def test_gdpr_export_holds_the_status_and_the_ins(staff: dict[str, User]) -> None:
    from patients.services import gdpr

    patient = make_person()
    identity_status.ins_search(by=staff["accueil"], patient=patient)
    patient.refresh_from_db()
    data = gdpr.patient_export_data(patient)
    exported = data["identity"]
    assert exported["identity_status"] == "recuperee"
    assert exported["ins_matricule"] == patient.ins_matricule
    assert exported["birth_place"] == "86194"
