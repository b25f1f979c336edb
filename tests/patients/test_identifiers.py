from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from patients.identifiers import check_nir, format_phone, nir_key, normalize_phone

# A real-format example: woman born in March 1984 in Poitiers (86194), order 123.
VALID = "284038619412380"


def test_reference_nir_is_valid() -> None:
    body = "2840386194123"
    assert nir_key(body) == VALID[13:]
    checked = check_nir("2 84 03 86 194 123 " + VALID[13:])
    assert checked.value == VALID
    assert checked.sex == "F"
    assert not checked.provisional


def test_wrong_key_is_refused_with_a_french_message() -> None:
    wrong = VALID[:13] + f"{(int(VALID[13:]) + 1) % 97:02d}"
    with pytest.raises(ValidationError) as error:
        check_nir(wrong)
    assert error.value.code == "nir_key"
    assert "clé" in error.value.messages[0]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("384038619412", "nir_sex_digit"),  # sex 3 (stdnum accepts it)
        ("284138619412", "nir_month"),  # month 13
        ("284008619412", "nir_month"),  # month 00
        ("284030019412", "nir_place"),  # département 00
        ("284039619412", "nir_place"),  # département 96
        ("284039790012", "nir_place"),  # 979 is no overseas département
        ("284038600012", "nir_place"),  # commune 000
    ],
)
def test_structural_checks_stdnum_does_not_make(body: str, code: str) -> None:
    number = body + "3"
    number += nir_key(number)
    with pytest.raises(ValidationError) as error:
        check_nir(number)
    assert error.value.code == code


def test_order_000_is_refused() -> None:
    body = "2840386194000"
    with pytest.raises(ValidationError) as error:
        check_nir(body + nir_key(body))
    assert error.value.code == "nir_order"


@pytest.mark.parametrize(("dept", "key_base"), [("2A", "19"), ("2B", "18")])
def test_corsica(dept: str, key_base: str) -> None:
    body = f"18405{dept}004123"
    # Key computed with 2A → 19, 2B → 18 (docs/patients.md, « NIR »).
    key = f"{97 - int(body.replace(dept, key_base)) % 97:02d}"
    assert check_nir(body + key).value == body + key
    with pytest.raises(ValidationError):
        check_nir(body + f"{(int(key) + 1) % 97:02d}")


def test_overseas_and_abroad() -> None:
    for body in ("1840597105123", "2842099350123", "1900198611123"):
        assert check_nir(body + nir_key(body)).value == body + nir_key(body)


def test_consistency_with_sex_and_birth_date() -> None:
    born = datetime.date(1984, 3, 12)
    assert check_nir(VALID, sex="F", birth_date=born).value == VALID
    with pytest.raises(ValidationError) as error:
        check_nir(VALID, sex="M", birth_date=born)
    assert error.value.code == "nir_sex_mismatch"
    with pytest.raises(ValidationError) as error:
        check_nir(VALID, sex="F", birth_date=datetime.date(1985, 3, 12))
    assert error.value.code == "nir_year_mismatch"
    with pytest.raises(ValidationError) as error:
        check_nir(VALID, sex="F", birth_date=datetime.date(1984, 4, 12))
    assert error.value.code == "nir_month_mismatch"


def test_unknown_month_accepts_any_birth_month() -> None:
    body = "2843299350123"  # born abroad, month unknown (32)
    assert check_nir(body + nir_key(body), birth_date=datetime.date(1984, 7, 1))


def test_provisional_numbers_are_accepted_and_flagged() -> None:
    body = "7840386194123"
    checked = check_nir(body + nir_key(body), sex="M")
    assert checked.provisional


# Property tests over the whole space of well-formed numbers.
departments = st.one_of(
    st.integers(1, 95).map(lambda d: f"{d:02d}"),
    st.sampled_from(["2A", "2B"]),
)


@st.composite
def nir_bodies(draw: st.DrawFn) -> tuple[str, datetime.date, str]:
    sex = draw(st.sampled_from("12"))
    born = draw(st.dates(datetime.date(1900, 1, 1), datetime.date(2026, 12, 31)))
    dept = draw(departments)
    commune = draw(st.integers(1, 999))
    order = draw(st.integers(1, 999))
    body = f"{sex}{born.year % 100:02d}{born.month:02d}{dept}{commune:03d}{order:03d}"
    return body, born, "M" if sex == "1" else "F"


@given(nir_bodies())
def test_property_every_well_formed_nir_with_its_key_is_valid(
    case: tuple[str, datetime.date, str],
) -> None:
    body, born, sex = case
    number = body + nir_key(body)
    assert check_nir(number, sex=sex, birth_date=born).value == number


@given(nir_bodies(), st.integers(1, 96))
def test_property_any_other_key_is_refused(
    case: tuple[str, datetime.date, str], shift: int
) -> None:
    body, _, _ = case
    key = (int(nir_key(body)) + shift) % 97
    if key == 0:
        key = 97  # keys run from 01 to 97
    with pytest.raises(ValidationError):
        check_nir(body + f"{key:02d}")


@given(nir_bodies(), st.sampled_from("034569"))
def test_property_sex_digit_other_than_1_2_7_8_is_refused(
    case: tuple[str, datetime.date, str], digit: str
) -> None:
    body = digit + case[0][1:]
    with pytest.raises(ValidationError) as error:
        check_nir(body + nir_key(body))
    assert error.value.code == "nir_sex_digit"


@given(nir_bodies(), st.integers(13, 19))
def test_property_month_13_to_19_is_refused(
    case: tuple[str, datetime.date, str], month: int
) -> None:
    body = case[0][:3] + f"{month:02d}" + case[0][5:]
    with pytest.raises(ValidationError) as error:
        check_nir(body + nir_key(body))
    assert error.value.code == "nir_month"


def test_phones_are_stored_in_e164() -> None:
    assert normalize_phone("06 12 34 56 78") == "+33612345678"
    assert normalize_phone("+32 470 12 34 56") == "+32470123456"
    assert normalize_phone("") == ""
    assert format_phone("+33612345678") == "06 12 34 56 78"
    with pytest.raises(ValidationError):
        normalize_phone("06 12 34")
    with pytest.raises(ValidationError):
        normalize_phone("pas un numéro")
