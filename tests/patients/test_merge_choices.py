"""Field-by-field choice at the merge: the director picks, for every identity field that
differs, the value the kept record ends with."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from appointments.models import Appointment
from centre.models import AuditEntry, Site, User
from patients.identifiers import nir_key
from patients.models import Coverage, NotDuplicatePair, Patient
from patients.services import duplicates, identity
from tests.appointments.factories import ConsultationTypeFactory
from tests.factories import make_staff
from tests.patients.factories import CoverageFactory, PatientFactory, make_nir

pytestmark = pytest.mark.django_db
D = datetime.date
ClientFor = Callable[[str | None], Client]
BIRTH = D(1984, 3, 12)
NIR_F = make_nir("F", BIRTH)
NIR_M = make_nir("M", BIRTH)


def make_patient(**values: object) -> Patient:
    patient = PatientFactory(**values)
    assert isinstance(patient, Patient)
    return patient


def pair(**newer_values: object) -> tuple[Patient, Patient]:
    """An older and a newer record of one woman; the newer one differs by `newer_values`
    (and by its first name spelt without the accent, and a phone where the older has none)."""
    common: dict[str, object] = {
        "last_name": "Dupont",
        "sex": "F",
        "birth_date": BIRTH,
        "city": "Poitiers",
    }
    older = make_patient(**common, first_name="Hélène", email="helene@example.org")
    values = {**common, "first_name": "Helene", "phone": "+33612345678", "email": ""}
    values.update(newer_values)
    newer = make_patient(**values)
    return older, newer


class _Radios(HTMLParser):
    """The merge screen's radio buttons ({name: {value: checked}}) and its legends."""

    def __init__(self) -> None:
        super().__init__()
        self.radios: dict[str, dict[str, bool]] = {}
        self.legends: list[str] = []
        self._in_legend = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("type") == "radio":
            self.radios.setdefault(a["name"] or "", {})[a["value"] or ""] = "checked" in a
        self._in_legend = tag == "legend"

    def handle_data(self, data: str) -> None:
        if self._in_legend:
            self.legends.append(data.strip())
            self._in_legend = False


def radios(html: str) -> _Radios:
    parser = _Radios()
    parser.feed(html)
    return parser


def _appointment(patient: Patient, site: Site, by: User) -> Appointment:
    doctor = make_staff("soignant", centre=site.centre, sites=[site]).profile
    start = datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC)
    return Appointment.objects.create(
        patient=patient,
        practitioner=doctor,
        consultation_type=ConsultationTypeFactory(),
        site=site,
        start=start,
        end=start + datetime.timedelta(minutes=20),
        booked_by=by,
    )


# --- service --------------------------------------------------------------------------------


def test_the_other_records_value_for_two_fields_and_the_audit_names_them(
    staff: dict[str, User],
) -> None:
    older, newer = pair(last_name="Dupond", address="3 rue de la Gare", city="Buxerolles")
    older.address = "12 rue Carnot"
    older.phone_alt = "+33549000000"
    older.save()

    duplicates.patients_merge(
        keep=older,
        merged=newer,
        by=staff["direction"],
        choices={"last_name": "merged", "first_name": "merged", "phone": "keep"},
    )

    older.refresh_from_db()
    # Chosen from the newer record.
    assert (older.last_name, older.first_name) == ("Dupond", "Helene")
    # Chosen "keep" although the kept record has no phone: stays blank.
    assert older.phone == ""
    # Not chosen: the kept record's values (address, city), blanks filled (none left).
    assert (older.address, older.city) == ("12 rue Carnot", "Poitiers")
    assert older.email == "helene@example.org" and older.phone_alt == "+33549000000"
    entry = AuditEntry.objects.get(action="patient.merge")
    assert entry.extra["from_merged"] == {
        "last_name": ["Dupont", "Dupond"],
        "first_name": ["Hélène", "Helene"],
    }
    assert entry.changes == entry.extra["from_merged"]
    assert entry.extra["kept_before"]["last_name"] == "Dupont"
    assert entry.extra["merged_values"]["city"] == "Buxerolles"


def test_choices_are_named_by_role_whatever_the_order_of_the_arguments(
    staff: dict[str, User],
) -> None:
    older, newer = pair(last_name="Dupond")
    # Given the other way round: "merged" still means the newer record, which is not kept.
    kept = duplicates.patients_merge(
        keep=newer, merged=older, by=staff["direction"], choices={"last_name": "merged"}
    )
    assert kept.pk == older.pk
    older.refresh_from_db()
    assert older.last_name == "Dupond"


def test_without_choices_the_merge_fills_the_blanks_only_as_before(
    staff: dict[str, User],
) -> None:
    older, newer = pair(last_name="Dupond", nir=NIR_F, email="autre@example.org")
    assert duplicates.merge_default_choices(older, newer) == {
        "last_name": "keep",
        "first_name": "keep",
        "nir": "merged",
        "phone": "merged",
        "email": "keep",
    }

    duplicates.patients_merge(keep=older, merged=newer, by=staff["direction"])

    older.refresh_from_db()
    assert (older.last_name, older.first_name) == ("Dupont", "Hélène")
    assert older.email == "helene@example.org"
    assert (older.nir, older.phone) == (NIR_F, "+33612345678")
    entry = AuditEntry.objects.get(action="patient.merge")
    assert entry.extra["from_merged"] == {"nir": ["", NIR_F], "phone": ["", "+33612345678"]}


def test_a_nir_contradicting_the_kept_sex_is_refused_and_nothing_changes(
    staff: dict[str, User], site: Site
) -> None:
    older, newer = pair(sex="M", nir=NIR_M, first_name="Hélène")
    older.nir = NIR_F
    older.save()
    amo = CoverageFactory(patient=newer)
    appointment = _appointment(newer, site, staff["accueil"])
    NotDuplicatePair.objects.create(first=older, second=newer, decided_by=staff["direction"])

    # The man's NIR with the woman's sex (kept by default).
    with pytest.raises(ValidationError) as error:
        duplicates.patients_merge(
            keep=older, merged=newer, by=staff["direction"], choices={"nir": "merged"}
        )

    assert error.value.message_dict == {
        "nir": ["Le NIR ne correspond pas au sexe indiqué (1 = homme, 2 = femme)."]
    }
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.merged_into_id is None
    assert (older.nir, older.sex, older.phone) == (NIR_F, "F", "")
    assert Coverage.objects.get(pk=amo.pk).patient_id == newer.pk
    assert Appointment.objects.get(pk=appointment.pk).patient_id == newer.pk
    assert NotDuplicatePair.objects.count() == 1
    assert not AuditEntry.objects.filter(action__startswith="patient.merge").exists()
    # Sex and NIR taken together from the same record: a consistent man's identity.
    duplicates.patients_merge(
        keep=older, merged=newer, by=staff["direction"], choices={"nir": "merged", "sex": "merged"}
    )
    older.refresh_from_db()
    assert (older.nir, older.sex) == (NIR_M, "M")


def test_a_provisional_nir_taken_from_the_other_record_keeps_its_review_flag(
    staff: dict[str, User],
) -> None:
    body = f"7{BIRTH.year % 100:02d}{BIRTH.month:02d}86194123"
    provisional = body + nir_key(body)
    older, newer = pair(nir=provisional, nir_needs_review=True)
    older.nir = NIR_F
    older.save()
    duplicates.patients_merge(
        keep=older, merged=newer, by=staff["direction"], choices={"nir": "merged"}
    )
    older.refresh_from_db()
    assert (older.nir, older.nir_needs_review) == (provisional, True)
    entry = AuditEntry.objects.get(action="patient.merge")
    assert entry.changes["nir_needs_review"] == [False, True]
    assert entry.extra["from_merged"]["nir"] == [NIR_F, provisional]


def test_unknown_fields_or_sides_are_refused(staff: dict[str, User]) -> None:
    older, newer = pair()
    for choices in ({"created_by": "merged"}, {"phone": "both"}):
        with pytest.raises(identity.PatientError):
            duplicates.patients_merge(
                keep=older,
                merged=newer,
                by=staff["direction"],
                choices=choices,  # type: ignore[arg-type]
            )
    newer.refresh_from_db()
    assert newer.merged_into_id is None


# --- screen ---------------------------------------------------------------------------------


def test_the_screen_offers_only_the_differing_fields_in_french(client_for: ClientFor) -> None:
    older, newer = pair(sex="M", nir=NIR_M, gdpr_informed_on=D(2025, 1, 7))
    older.nir = NIR_F
    older.save()

    html = client_for("direction").get(reverse("patients:merge", args=[older.pk, newer.pk]))
    page = radios(html.content.decode())

    # first_name, sex, nir, phone, email, gdpr_informed_on differ; the kept value is
    # preselected, or the other one where the kept record is blank.
    assert page.radios == {
        "first_name": {"keep": True, "merged": False},
        "sex": {"keep": True, "merged": False},
        "nir": {"keep": True, "merged": False},
        "phone": {"keep": False, "merged": True},
        "email": {"keep": True, "merged": False},
        "gdpr_informed_on": {"keep": False, "merged": True},
    }
    assert "Sexe : valeur à garder" in page.legends and len(page.legends) == 6
    text = html.content.decode()
    assert f"Dossier n° {older.pk} (conservé) : Femme" in text
    assert f"Dossier n° {newer.pk} : Homme" in text
    assert f"Dossier n° {newer.pk} : 06 12 34 56 78" in text
    assert f"Dossier n° {older.pk} (conservé) : (vide)" in text
    assert f"Dossier n° {newer.pk} : 07/01/2025" in text
    assert "2 84 03 86 194 123" in text  # NIR spaced
    # Identical fields are listed, not offered.
    assert "Identiques dans les deux dossiers" in text
    assert "<dt>Date de naissance</dt><dd>12/03/1984</dd>" in text
    assert "<dt>Nom d&#x27;usage</dt><dd>Dupont</dd>" in text


def test_posted_choices_are_applied_and_audited(client_for: ClientFor) -> None:
    older, newer = pair(last_name="Dupond", email="autre@example.org")
    response = client_for("direction").post(
        reverse("patients:merge", args=[older.pk, newer.pk]),
        {"last_name": "merged", "email": "merged", "first_name": "keep"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[older.pk])
    older.refresh_from_db()
    assert (older.last_name, older.first_name) == ("Dupond", "Hélène")
    # Not posted: default (the kept record's blank phone filled).
    assert (older.email, older.phone) == ("autre@example.org", "+33612345678")
    entry = AuditEntry.objects.get(action="patient.merge")
    assert entry.extra["from_merged"] == {
        "last_name": ["Dupont", "Dupond"],
        "phone": ["", "+33612345678"],
        "email": ["helene@example.org", "autre@example.org"],
    }


def test_an_empty_post_merges_as_before(client_for: ClientFor) -> None:
    older, newer = pair(last_name="Dupond")
    response = client_for("direction").post(reverse("patients:merge", args=[older.pk, newer.pk]))
    assert response.status_code == 302
    older.refresh_from_db()
    newer.refresh_from_db()
    assert newer.merged_into_id == older.pk
    assert (older.last_name, older.first_name, older.phone) == ("Dupont", "Hélène", "+33612345678")


def test_an_impossible_combination_comes_back_in_french_with_nothing_merged(
    client_for: ClientFor,
) -> None:
    older, newer = pair(sex="M", nir=NIR_M)
    older.nir = NIR_F
    older.save()
    amo = CoverageFactory(patient=newer)
    url = reverse("patients:merge", args=[older.pk, newer.pk])

    response = client_for("direction").post(url, {"sex": "merged", "phone": "merged"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Fusion impossible avec ces choix" in html and "Rien n&#x27;a été modifié" in html
    assert "NIR (n° de sécurité sociale) : Le NIR ne correspond pas au sexe indiqué" in html
    # The director's choices are shown again as posted.
    page = radios(html)
    assert page.radios["sex"] == {"keep": False, "merged": True}
    assert page.radios["nir"] == {"keep": True, "merged": False}
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.merged_into_id is None
    assert (older.sex, older.phone) == ("F", "")
    assert Coverage.objects.get(pk=amo.pk).patient_id == newer.pk
    assert not AuditEntry.objects.filter(action="patient.merge").exists()


@pytest.mark.parametrize("role", ["accueil", "mediation", "soignant", "facturation"])
def test_only_the_director_may_post_a_merge(client_for: ClientFor, role: str) -> None:
    older, newer = pair(last_name="Dupond")
    response = client_for(role).post(
        reverse("patients:merge", args=[older.pk, newer.pk]), {"last_name": "merged"}
    )
    assert response.status_code == 403
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.merged_into_id is None and older.last_name == "Dupont"
