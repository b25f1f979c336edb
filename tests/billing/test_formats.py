"""The return-file parser refuses every malformed file with a line and a reason."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.formats import (
    AckRecord,
    BatchHeader,
    BatchRecord,
    PaymentRecord,
    RejectRecord,
    ReturnFileError,
    batch_lines,
    return_lines,
    validate_return,
)
from billing.models import Claim, Payment, ReconciliationItem, ReturnFile
from billing.services import returns

ON = datetime.date(2025, 3, 10)
GOOD = "".join(
    return_lines(
        payer_type="AMO",
        payer_code="861",
        created_on=ON,
        records=[
            AckRecord(0, 1, True, ON, "", ""),
            PaymentRecord(0, "F20250000001-AMO1", Decimal("21.00"), ON, "VIR-1", "", ""),
            PaymentRecord(0, "F20250000002-AMO1", Decimal("15.00"), ON, "VIR-1", "R07", "Écart"),
            RejectRecord(0, "F20250000003-AMO1", "R01", "Droits fermés"),
        ],
    )
)


def test_good_file_summary() -> None:
    summary = validate_return(GOOD.splitlines(keepends=True))
    assert (summary.acks, summary.payments, summary.rejects, summary.paid_total) == (
        1,
        2,
        1,
        Decimal("36.00"),
    )
    assert GOOD.splitlines()[-1] == "T|4|36.00"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 0, "vide"),
        ("X|1\n", 1, "en-tête H"),
        ("H|PASSERELLE-RETOUR|9|AMO|861|20250310\n", 1, "version"),
        ("H|PASSERELLE-RETOUR|1|AMO|861|20250310\nP|X-1|21.00|20250310|V||\n", 2, "fin T manquant"),
        (
            "H|PASSERELLE-RETOUR|1|AMO|861|20250310\nP|X-1|21,00|20250310|V||\nT|1|21.00\n",
            2,
            "montant",
        ),
        ("H|PASSERELLE-RETOUR|1|AMO|861|20250231\n", 1, "pas une date valide"),
        ("H|PASSERELLE-RETOUR|1|AMO|861|20250310\nR|X-1|R01|x\nT|2|0.00\n", 3, "annonce 2"),
        ("H|PASSERELLE-RETOUR|1|AMO|861|20250310\nQ|1\nT|0|0.00\n", 2, "inconnu"),
    ],
)
def test_malformed_files_are_refused_with_line_and_reason(
    text: str, line: int, reason: str
) -> None:
    with pytest.raises(ReturnFileError) as error:
        validate_return(text.splitlines(keepends=True))
    assert error.value.line == line
    assert reason in error.value.reason


def test_batch_file_layout() -> None:
    header = BatchHeader("860001239", "860012345", "AMO", "861", 7, ON)
    record = BatchRecord(
        "F1-AMO1",
        "F1",
        "185067511212345",
        "",
        ON,
        None,
        ON,
        "10100000017",
        Decimal("24.50"),
        (("G", Decimal(1), Decimal("30.00")), ("MEG", Decimal(1), Decimal("5.00"))),
    )
    lines = list(batch_lines(header, [record]))
    assert lines == [
        "H|PASSERELLE-LOT|1|860001239|860012345|AMO|861|7|20250310\n",
        "F|F1-AMO1|F1|185067511212345||20250310|1|20250310|10100000017|24.50|G*1.00*30.00;MEG*1.00*5.00\n",
        "T|1|24.50\n",
    ]


def _mutations() -> st.SearchStrategy[str]:
    lines = GOOD.splitlines(keepends=True)
    drop = st.integers(0, len(lines) - 1).map(lambda i: "".join(lines[:i] + lines[i + 1 :]))
    swap = st.tuples(st.integers(0, len(lines) - 1), st.text(max_size=40)).map(
        lambda t: "".join([*lines[: t[0]], t[1] + "\n", *lines[t[0] + 1 :]])
    )
    flip = st.tuples(st.integers(0, len(GOOD) - 1), st.characters()).map(
        lambda t: GOOD[: t[0]] + t[1] + GOOD[t[0] + 1 :]
    )
    return st.one_of(
        drop,
        swap,
        flip,
        st.text(max_size=200),
        st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    )


@given(text=_mutations())
def test_fuzzed_files_are_accepted_whole_or_refused_with_a_message(text: str) -> None:
    try:
        summary = validate_return(text.encode("utf-8", "surrogatepass").splitlines(keepends=True))
    except ReturnFileError as error:
        assert error.reason
        assert 0 <= error.line <= text.count("\n") + 1
    else:
        assert summary.lines >= 1


@pytest.mark.django_db
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_mutations())
def test_fuzzed_imports_import_nothing_when_refused(text: str) -> None:
    """No claim matches these references: a malformed file is refused, a well-formed one is
    imported with its lines « à rapprocher »; never a payment."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        returns.return_import(
            open_lines=lambda: data.splitlines(keepends=True), filename="f.txt", by=None
        )
    except ReturnFileError as error:
        assert str(error)
    else:  # pragma: no cover - only possible for a well-formed file
        assert not Payment.objects.exists()
        ReconciliationItem.objects.all().delete()
        ReturnFile.objects.all().delete()
    assert not Payment.objects.exists()
    assert not Claim.objects.exists()


def test_v2_line_kinds_and_their_refusals() -> None:
    good = (
        "H|PASSERELLE-RETOUR|2|AMO|861|20250314\n"
        "F|150.00|20250314|VIR-1||FST|Forfait structure\n"
        "J|-3.50|20250314|VIR-1|||\n"
        "I|2.00|20250314|VIR-1|F20250000001-AMO1|PF|Participations\n"
        "T|3|144.50\n"
    )
    summary = validate_return(good.splitlines(keepends=True))
    assert (summary.unmatched, summary.payments, summary.lines) == (3, 0, 4)
    cases = {
        good.replace("|2|AMO", "|1|AMO"): (2, "format version 2 requis"),
        good.replace("J|-3.50", "J|0.00"): (3, "ajustement de montant nul"),
        good.replace("I|2.00", "I|-2.00"): (4, "format attendu 123.45"),
        good.replace("T|3|144.50", "T|3|150.00"): (5, "la somme des paiements est 144.50"),
    }
    for text, (line, reason) in cases.items():
        with pytest.raises(ReturnFileError) as error:
            validate_return(text.splitlines(keepends=True))
        assert error.value.line == line and reason in error.value.reason
