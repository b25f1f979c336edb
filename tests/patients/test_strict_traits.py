"""Strict traits: capture of names from every culture, printing in RNIPP form, the COG list."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from centre.models import User
from patients.cog import read_rows, unique_by_code
from patients.models import BirthPlace, BirthPlaceKind
from patients.services import identity
from patients.strict_traits import plain_capitals, printed_identity, split_first_names

D = datetime.date


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("Hélène", "HELENE"),
        ("de La Fontaine", "DE LA FONTAINE"),
        ("N’Diaye", "N'DIAYE"),
        ("Ben Saïd", "BEN SAID"),
        ("Çağlar–Öztürk", "CAGLAR-OZTURK"),
        ("Lætitia Œuvray", "LAETITIA OEUVRAY"),
        ("Strauß", "STRAUSS"),
        ("Nguyễn", "NGUYEN"),
        ("Łukasz  Wójcik ", "LUKASZ WOJCIK"),
        ("O'Brien-Mac Carthy", "O'BRIEN-MAC CARTHY"),
    ],
)
def test_plain_capitals_drops_diacritics_keeps_hyphen_apostrophe_space(
    typed: str, printed: str
) -> None:
    assert plain_capitals(typed) == printed


def test_first_names_split_on_commas_only() -> None:
    assert split_first_names("Marie Claire, Aïcha,  Jean-Baptiste ,") == [
        "Marie Claire",
        "Aïcha",
        "Jean-Baptiste",
    ]
    assert split_first_names("") == []


def test_printed_identity_shows_strict_traits_beside_used_names() -> None:
    printed = printed_identity(
        birth_name="Martin",
        first_names=["Hélène", "Marie"],
        first_first_name="Hélène",
        birth_date=D(1984, 3, 12),
        sex="F",
        used_name="Dupont",
        used_first_name="Léna",
    )
    assert printed.line() == (
        "MARTIN HELENE, née le 12/03/1984 (F) — nom utilisé : DUPONT, prénom utilisé : Léna"
    )


def test_printed_identity_omits_used_names_equal_to_birth_ones_and_single_names() -> None:
    printed = printed_identity(
        birth_name="Ayaan",
        first_names=[],
        first_first_name="",
        birth_date=D(1990, 1, 2),
        sex="M",
        used_name="AYAAN",
        used_first_name="",
    )
    assert printed.line() == "AYAAN, né le 02/01/1990 (M)"


def test_cog_reference_is_loaded_by_migration(db: None) -> None:
    poitiers = BirthPlace.objects.get(code="86194")
    assert (poitiers.name, poitiers.kind, poitiers.department) == ("Poitiers", "commune", "86")
    assert BirthPlace.objects.get(code="99352").name == "Algérie"
    assert BirthPlace.objects.filter(kind=BirthPlaceKind.COMMUNE, department="86").count() >= 265
    # Every neighbour of the Vienne is there, and no row for France itself.
    for department in ("16", "36", "37", "49", "79", "87"):
        assert BirthPlace.objects.filter(department=department).exists()
    assert not BirthPlace.objects.filter(code="99100").exists()
    assert BirthPlace.objects.filter(kind=BirthPlaceKind.COUNTRY).count() == 254


def test_load_cog_reads_the_official_insee_formats(db: None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    communes = tmp_path / "v_commune_2026.csv"
    communes.write_text(
        "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT\n"
        "COM,86194,75,86,86D,863,0,POITIERS,Poitiers,Poitiers-sur-Clain,8699,\n"
        "COMD,86999,75,86,86D,863,0,TEST,Test,Testville,8699,86194\n",
        encoding="utf-8",
    )
    countries = tmp_path / "v_pays_territoire_2026.csv"
    countries.write_text(
        "COG,ACTUAL,CRPAY,ANI,LIBCOG,LIBENR,CODEISO2,CODEISO3,CODENUM3\n"
        "99100,1,,,France,République française,FR,FRA,250\n"
        "99999,1,,,Pays d'essai,Pays d'essai,XX,XXX,999\n",
        encoding="utf-8",
    )
    call_command("load_cog", str(communes), str(countries))
    assert BirthPlace.objects.get(code="86194").name == "Poitiers-sur-Clain"
    delegated = BirthPlace.objects.get(code="86999")
    assert (delegated.cog_type, delegated.parent_code) == ("COMD", "86194")
    assert BirthPlace.objects.get(code="99999").kind == BirthPlaceKind.COUNTRY
    assert not BirthPlace.objects.filter(code="99100").exists()


def test_a_commune_and_its_delegated_namesake_keep_the_commune() -> None:
    rows = list(
        read_rows(
            "code,type,departement,libelle,commune_parente\n"
            "86001,COMD,86,Ancienne,86001\n86001,COM,86,Nouvelle,\n"
        )
    )
    assert [r["name"] for r in unique_by_code(rows)] == ["Nouvelle"]


@pytest.fixture
def clerk(staff: dict[str, User]) -> User:
    return staff["accueil"]


@pytest.mark.parametrize(
    ("birth_name", "first_names", "first_expected"),
    [
        ("de La Tour d’Auvergne", "Marie-Thérèse, Anne", "Marie-Thérèse"),
        ("Ben Abdallah El Idrissi", "Mohamed Amine, Youssef", "Mohamed Amine"),
        ("Nguyễn", "Thị Minh Khai", "Thị Minh Khai"),
        ("Ayaan", "", ""),  # a single name: no first name on the document
        ("O'Connor-Ní Bhriain", "Siobhán", "Siobhán"),
    ],
)
def test_registration_captures_unusual_names_as_typed(
    clerk: User, birth_name: str, first_names: str, first_expected: str
) -> None:
    patient = identity.patient_register(
        by=clerk,
        values={
            "last_name": birth_name,
            "birth_name": birth_name,
            "first_name": first_expected or birth_name,
            "birth_first_names": first_names,
            "sex": "F",
            "birth_date": D(1990, 5, 6),
            "birth_place": "99243",
        },
    )
    patient.refresh_from_db()
    assert patient.birth_name == birth_name.replace("’", "'")
    assert patient.birth_first_names == split_first_names(first_names)
    assert patient.first_birth_first_name == first_expected
    assert patient.birth_place_id == "99243"
    assert patient.identity_status == "provisoire"


def test_unknown_birth_place_and_wrong_first_first_name_are_refused(clerk: User) -> None:
    with pytest.raises(ValidationError) as error:
        identity.patient_register(
            by=clerk,
            values={
                "last_name": "Martin",
                "first_name": "Anne",
                "birth_first_names": ["Anne", "Marie"],
                "first_birth_first_name": "Marie",
                "sex": "F",
                "birth_date": D(1990, 5, 6),
                "birth_place": "86000",
            },
        )
    assert set(error.value.message_dict) == {"birth_place", "first_birth_first_name"}
    assert "86000" in error.value.message_dict["birth_place"][0]
