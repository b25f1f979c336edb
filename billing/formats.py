"""Passerelle's own transmission formats (documented in docs/billing-formats.md).

Real SESAM-Vitale / B2 / NOEMIE layouts are given to certified (homologated) vendors only
(docs/billing-formats.md, « Pourquoi un format propre »); these formats carry the same concepts
in a versioned, pipe-separated text file, one record per line, UTF-8:

- batch file « PASSERELLE-LOT » v1: header H, one F record per claim, trailer T;
- return file « PASSERELLE-RETOUR » v1: header H, A (acknowledgement of a batch, ARL),
  P (paid, in full or in part), R (rejected), trailer T with counts and total;
- v2 adds the lines that match no claim, as a real NOEMIE return carries them: F (lump sum,
  forfait), J (adjustment, signed) and I (recovery of an undue amount, indu); its trailer
  total is the net transfer P + F + J − I.

Writers and parsers stream: they never hold a whole file in memory.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from billing.errors import BillingError

BATCH_MAGIC = "PASSERELLE-LOT"
RETURN_MAGIC = "PASSERELLE-RETOUR"
BATCH_VERSION = "1"
RETURN_VERSIONS = ("1", "2")
RETURN_VERSION = "2"  # written by `return_lines`
SEP = "|"

_AMOUNT = re.compile(r"^\d{1,9}\.\d{2}$")
_SIGNED_AMOUNT = re.compile(r"^-?\d{1,9}\.\d{2}$")
_DATE = re.compile(r"^\d{8}$")
_CODE = re.compile(r"^[A-Z0-9]{1,8}$")
_REF = re.compile(r"^[A-Za-z0-9-]{1,24}$")
_PAYER = re.compile(r"^(AMO|C2S|AMC|ATT)$")
_ORGANISM = re.compile(r"^[A-Za-z0-9-]{1,20}$")
MAX_LABEL = 200


def clean(text: str) -> str:
    """Field values never contain the separator or line breaks."""
    return " ".join(str(text).replace(SEP, "/").split())


def ymd(day: datetime.date | None) -> str:
    return day.isoformat().replace("-", "") if day else ""  # 6× faster than strftime


# --- batch file (writer) ----------------------------------------------------------------------


@dataclass(frozen=True)
class BatchHeader:
    emitter_finess: str
    emitter_am_number: str
    payer_type: str
    payer_code: str
    batch_number: int
    created_on: datetime.date


@dataclass(frozen=True)
class BatchRecord:
    claim_ref: str
    invoice_number: str
    insured_nir: str
    beneficiary_nir: str
    birth_date: datetime.date
    birth_rank: int | None
    date_of_care: datetime.date
    practitioner_rpps: str
    amount: Decimal
    acts: tuple[tuple[str, Decimal, Decimal], ...]  # (code, coefficient, amount)


def batch_lines(header: BatchHeader, records: Iterable[BatchRecord]) -> Iterator[str]:
    """Lines of a batch file (each ends with "\\n"); the trailer counts what was written."""
    yield (
        SEP.join(
            (
                "H",
                BATCH_MAGIC,
                BATCH_VERSION,
                header.emitter_finess,
                header.emitter_am_number,
                header.payer_type,
                header.payer_code,
                str(header.batch_number),
                ymd(header.created_on),
            )
        )
        + "\n"
    )
    count, total = 0, Decimal("0.00")
    for r in records:
        acts = ";".join(f"{clean(code)}*{coef:.2f}*{amount:.2f}" for code, coef, amount in r.acts)
        yield (
            SEP.join(
                (
                    "F",
                    r.claim_ref,
                    r.invoice_number,
                    clean(r.insured_nir),
                    clean(r.beneficiary_nir),
                    ymd(r.birth_date),
                    str(r.birth_rank or 1),
                    ymd(r.date_of_care),
                    clean(r.practitioner_rpps),
                    f"{r.amount:.2f}",
                    acts,
                )
            )
            + "\n"
        )
        count += 1
        total += r.amount
    yield SEP.join(("T", str(count), f"{total:.2f}")) + "\n"


# --- return file (parser) ---------------------------------------------------------------------


class ReturnFileError(BillingError, ValueError):
    """The file is refused as a whole: `line` (1-based, 0 for the whole file) and reason.

    A refusal on the `file` field: the API answers 400 `{"file": [...], "line", "reason"}`,
    the page puts it on the upload field."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        where = f"ligne {line}" if line else "fichier"
        super().__init__(
            f"{where} : {reason}", field="file", details={"line": line, "reason": reason}
        )
        # What the person reads, on the upload field (page) or under `file` (API).
        self.errors = {"file": [f"Fichier refusé, rien n'a été importé — {where} : {reason}"]}


@dataclass(frozen=True)
class ReturnHeader:
    payer_type: str
    payer_code: str
    created_on: datetime.date
    version: str


@dataclass(frozen=True)
class AckRecord:
    line: int
    batch_number: int
    positive: bool
    on: datetime.date
    code: str
    label: str


@dataclass(frozen=True)
class PaymentRecord:
    line: int
    claim_ref: str
    amount: Decimal
    on: datetime.date
    transfer_ref: str
    code: str  # reason of a partial payment, if given
    label: str


@dataclass(frozen=True)
class RejectRecord:
    line: int
    claim_ref: str
    code: str
    label: str


class UnmatchedKind:
    """Lines of a return that pay or take back money without matching a claim (v2)."""

    LUMP_SUM = "F"  # forfait (structure, patientèle médecin traitant, ROSP…): paid, > 0
    ADJUSTMENT = "J"  # régularisation: signed
    RECOVERY = "I"  # indu / récupération (e.g. PF and franchises): taken back, > 0
    ALL = (LUMP_SUM, ADJUSTMENT, RECOVERY)


@dataclass(frozen=True)
class UnmatchedRecord:
    """F / J / I: `amount` as written (a recovery is positive: the amount taken back);
    `claim_ref` is optional (the claim an adjustment or recovery is about, if the payer says)."""

    line: int
    kind: str
    amount: Decimal
    on: datetime.date
    transfer_ref: str
    claim_ref: str
    code: str
    label: str

    @property
    def net(self) -> Decimal:
        """What the line adds to the transfer."""
        return -self.amount if self.kind == UnmatchedKind.RECOVERY else self.amount


ReturnRecord = AckRecord | PaymentRecord | RejectRecord | UnmatchedRecord


@dataclass(frozen=True)
class ReturnSummary:
    header: ReturnHeader
    acks: int
    payments: int
    rejects: int
    paid_total: Decimal
    lines: int
    unmatched: int = 0


def _date(value: str, line: int, what: str) -> datetime.date:
    if not _DATE.match(value):
        raise ReturnFileError(line, f"{what} « {value} » : date attendue au format AAAAMMJJ.")
    try:
        return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise ReturnFileError(line, f"{what} « {value} » n'est pas une date valide.") from None


def _amount(value: str, line: int) -> Decimal:
    if not _AMOUNT.match(value):
        raise ReturnFileError(line, f"montant « {value} » : format attendu 123.45.")
    return Decimal(value)


def _fields(raw: str, line: int, count: int, kind: str) -> list[str]:
    fields = raw.split(SEP)
    if len(fields) != count:
        raise ReturnFileError(
            line, f"enregistrement {kind} : {count} champs attendus, {len(fields)} trouvés."
        )
    return fields


def _label(value: str, line: int) -> str:
    if len(value) > MAX_LABEL:
        raise ReturnFileError(line, f"libellé trop long (plus de {MAX_LABEL} caractères).")
    return value.strip()


def _decode(lines: Iterable[bytes | str]) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ReturnFileError(number, "caractères non UTF-8.") from None
        else:
            text = raw
        text = text.removesuffix("\n").removesuffix("\r")
        if "\n" in text or "\r" in text or "\x00" in text:
            raise ReturnFileError(number, "caractère de contrôle inattendu.")
        yield number, text


def parse_return(lines: Iterable[bytes | str]) -> Iterator[ReturnHeader | ReturnRecord]:
    """Yield the header then each record, checking the structure as it goes; the trailer is
    checked at the end (counts and total). Raises ReturnFileError at the first problem: callers
    must consume the whole generator before trusting any record (see `validate_return`)."""
    header: ReturnHeader | None = None
    trailer_seen = False
    count, total = 0, Decimal("0.00")
    batches: set[int] = set()  # one acknowledgement per batch: a handful
    last = 0
    for number, text in _decode(lines):
        last = number
        if trailer_seen:
            if text.strip() == "":
                continue
            raise ReturnFileError(number, "ligne après l'enregistrement de fin T.")
        kind = text[:1]
        if header is None:
            if kind != "H":
                raise ReturnFileError(number, "le fichier doit commencer par l'en-tête H.")
            f = _fields(text, number, 6, "H")
            if f[1] != RETURN_MAGIC:
                raise ReturnFileError(number, f"en-tête « {RETURN_MAGIC} » attendu.")
            if f[2] not in RETURN_VERSIONS:
                raise ReturnFileError(number, f"version de format « {f[2]} » non prise en charge.")
            if not _PAYER.match(f[3]):
                raise ReturnFileError(number, f"type de payeur « {f[3]} » inconnu.")
            if not _ORGANISM.match(f[4]):
                raise ReturnFileError(number, f"code d'organisme « {f[4]} » invalide.")
            header = ReturnHeader(f[3], f[4], _date(f[5], number, "date du fichier"), f[2])
            yield header
            continue
        if kind == "A":
            f = _fields(text, number, 6, "A")
            if not f[1].isdigit() or not 0 < int(f[1]) < 10**9:
                raise ReturnFileError(number, f"numéro de lot « {f[1]} » invalide.")
            if f[2] not in ("OK", "KO"):
                raise ReturnFileError(number, "accusé de réception : OK ou KO attendu.")
            batch = int(f[1])
            if batch in batches:
                raise ReturnFileError(number, f"lot n° {batch} accusé deux fois.")
            batches.add(batch)
            if f[2] == "KO" and not _CODE.match(f[4]):
                raise ReturnFileError(number, "un accusé négatif doit porter un code de rejet.")
            count += 1
            yield AckRecord(
                number, batch, f[2] == "OK", _date(f[3], number, "date"), f[4], _label(f[5], number)
            )
        elif kind in ("P", "R"):
            f = _fields(text, number, 7 if kind == "P" else 4, kind)
            ref = f[1]
            if not _REF.match(ref):
                raise ReturnFileError(number, f"référence de demande « {ref} » invalide.")
            # A claim named twice is refused at reconciliation (services.returns._reconcile),
            # in SQL: remembering every reference here would make memory grow with the file.
            count += 1
            if kind == "P":
                amount = _amount(f[2], number)
                if amount <= 0:
                    raise ReturnFileError(number, "montant payé nul : utiliser un rejet R.")
                if f[5] and not _CODE.match(f[5]):
                    raise ReturnFileError(number, f"code « {f[5]} » invalide.")
                total += amount
                yield PaymentRecord(
                    number,
                    ref,
                    amount,
                    _date(f[3], number, "date de paiement"),
                    _label(f[4], number)[:40],
                    f[5],
                    _label(f[6], number),
                )
            else:
                if not _CODE.match(f[2]):
                    raise ReturnFileError(number, f"code de rejet « {f[2]} » invalide.")
                yield RejectRecord(number, ref, f[2], _label(f[3], number))
        elif kind in UnmatchedKind.ALL:
            if header.version == "1":
                raise ReturnFileError(
                    number, f"enregistrement {kind} : format version 2 requis (en-tête en v1)."
                )
            f = _fields(text, number, 7, kind)
            if kind == UnmatchedKind.ADJUSTMENT:
                if not _SIGNED_AMOUNT.match(f[1]):
                    raise ReturnFileError(number, f"montant « {f[1]} » : format attendu -12.34.")
                amount = Decimal(f[1])
                if amount == 0:
                    raise ReturnFileError(number, "ajustement de montant nul.")
            else:
                amount = _amount(f[1], number)
                if amount <= 0:
                    raise ReturnFileError(number, "montant nul.")
            if f[4] and not _REF.match(f[4]):
                raise ReturnFileError(number, f"référence de demande « {f[4]} » invalide.")
            if f[5] and not _CODE.match(f[5]):
                raise ReturnFileError(number, f"code « {f[5]} » invalide.")
            record = UnmatchedRecord(
                number,
                kind,
                amount,
                _date(f[2], number, "date"),
                _label(f[3], number)[:40],
                f[4],
                f[5],
                _label(f[6], number),
            )
            count += 1
            total += record.net
            yield record
        elif kind == "T":
            f = _fields(text, number, 3, "T")
            if not f[1].isdigit() or int(f[1]) != count:
                raise ReturnFileError(
                    number,
                    f"le total annonce {f[1]} enregistrements, le fichier en contient {count}.",
                )
            if not _SIGNED_AMOUNT.match(f[2]):
                raise ReturnFileError(number, f"montant « {f[2]} » : format attendu 123.45.")
            if Decimal(f[2]) != total:
                raise ReturnFileError(
                    number, f"le total annonce {f[2]} €, la somme des paiements est {total:.2f} €."
                )
            trailer_seen = True
        elif kind == "H":
            raise ReturnFileError(number, "en-tête H en double.")
        else:
            raise ReturnFileError(number, f"type d'enregistrement « {kind} » inconnu.")
    if header is None:
        raise ReturnFileError(0, "fichier vide.")
    if not trailer_seen:
        raise ReturnFileError(last, "enregistrement de fin T manquant (fichier tronqué ?).")


def validate_return(lines: Iterable[bytes | str]) -> ReturnSummary:
    """Read the whole file once; raise ReturnFileError or return its summary."""
    header: ReturnHeader | None = None
    acks = payments = rejects = unmatched = n = 0
    total = Decimal("0.00")
    for item in parse_return(lines):
        n += 1
        if isinstance(item, ReturnHeader):
            header = item
        elif isinstance(item, AckRecord):
            acks += 1
        elif isinstance(item, PaymentRecord):
            payments += 1
            total += item.amount
        elif isinstance(item, UnmatchedRecord):
            unmatched += 1
        else:
            rejects += 1
    assert header is not None
    return ReturnSummary(header, acks, payments, rejects, total, n, unmatched)


def return_lines(
    *,
    payer_type: str,
    payer_code: str,
    created_on: datetime.date,
    records: Iterable[ReturnRecord],
) -> Iterator[str]:
    """Write a return file (used by the demo, the tests and the benchmark to play the payer):
    version 2, whose trailer total is the net transfer."""
    header = ("H", RETURN_MAGIC, RETURN_VERSION, payer_type, payer_code, ymd(created_on))
    yield SEP.join(header) + "\n"
    count, total = 0, Decimal("0.00")
    for r in records:
        count += 1
        if isinstance(r, UnmatchedRecord):
            total += r.net
            yield (
                SEP.join(
                    (
                        r.kind,
                        f"{r.amount:.2f}",
                        ymd(r.on),
                        clean(r.transfer_ref),
                        r.claim_ref,
                        r.code,
                        clean(r.label),
                    )
                )
                + "\n"
            )
        elif isinstance(r, AckRecord):
            yield (
                SEP.join(
                    (
                        "A",
                        str(r.batch_number),
                        "OK" if r.positive else "KO",
                        ymd(r.on),
                        r.code,
                        clean(r.label),
                    )
                )
                + "\n"
            )
        elif isinstance(r, PaymentRecord):
            total += r.amount
            yield (
                SEP.join(
                    (
                        "P",
                        r.claim_ref,
                        f"{r.amount:.2f}",
                        ymd(r.on),
                        clean(r.transfer_ref),
                        r.code,
                        clean(r.label),
                    )
                )
                + "\n"
            )
        else:
            yield SEP.join(("R", r.claim_ref, r.code, clean(r.label))) + "\n"
    yield SEP.join(("T", str(count), f"{total:.2f}")) + "\n"
