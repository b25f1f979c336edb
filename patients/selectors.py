"""Reads of patient data, for this app and the others (appointments' booking screen and
outreach call `search_patients`)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Greatest
from django.utils import timezone

from centre.models import AuditEntry
from patients.coverage import ENDING_SOON_DAYS
from patients.models import (
    RIGHTS_KINDS,
    Coverage,
    CoverageKind,
    NotDuplicatePair,
    Patient,
    Unaccent,
)

# pg_trgm's word similarity (0–1) above which a name token matches: low enough for one typo
# in a first name ("heleen" → "hélène" scores 0.57) while "martin" no longer finds "marie"
# (0.43).
WORD_SIMILARITY_THRESHOLD = 0.5
DUPLICATE_SIMILARITY = 0.5

_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEAR = re.compile(r"^(19|20)\d{2}$")
_NUMBER = re.compile(r"^\+?[\d .]+$")


@dataclass
class SearchFilters:
    site_id: int | None = None
    coverage_kind: str = ""  # a CoverageKind valid today, or "none" / "ending"
    in_qpv: bool | None = None
    language: str = ""


@dataclass
class ParsedQuery:
    names: list[str] = field(default_factory=list)
    birth_date: datetime.date | None = None
    year: int | None = None
    numbers: list[str] = field(default_factory=list)  # digits to find in NIR / phones

    @property
    def empty(self) -> bool:
        return not (self.names or self.birth_date or self.year or self.numbers)


def parse_query(query: str) -> ParsedQuery:
    """`dupont mar 1984`, `12/03/1984`, `06 12 34 56 78`, `2840375` → what to look for."""
    parsed = ParsedQuery()
    text = " ".join(query.split())
    if _NUMBER.match(text) and sum(c.isdigit() for c in text) >= 4 and not _YEAR.match(text):
        digits = re.sub(r"\D", "", text)
        parsed.numbers.append(digits)
        if text.startswith("+"):
            pass
        elif digits.startswith("0") and len(digits) >= 4:
            parsed.numbers.append("33" + digits[1:])  # national phone → E.164 digits
        return parsed
    for token in text.split(" "):
        if not token:
            continue
        if match := _DATE.match(token):
            day, month, year = (int(g) for g in match.groups())
            try:
                parsed.birth_date = datetime.date(year, month, day)
            except ValueError:
                continue
        elif match := _ISO_DATE.match(token):
            try:
                parsed.birth_date = datetime.date.fromisoformat(token)
            except ValueError:
                continue
        elif _YEAR.match(token):
            parsed.year = int(token)
        elif token.isdigit():
            if len(token) >= 4:
                parsed.numbers.append(token)
        else:
            parsed.names.append(token)
    return parsed


def _word_similarity_threshold() -> None:
    # SET LOCAL lasts until the end of the surrounding transaction only.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
            [str(WORD_SIMILARITY_THRESHOLD)],
        )


def search_queryset(
    query: str, *, filters: SearchFilters | None = None, today: datetime.date | None = None
) -> QuerySet[Patient]:
    """Active patients matching `query`, best first (needs the similarity threshold set:
    use `search_patients`, or call inside `transaction.atomic()` after
    `_word_similarity_threshold()`)."""
    parsed = parse_query(query)
    qs = Patient.objects.active()
    if parsed.empty:
        return qs.none()
    if parsed.names:
        score: Combinable = Value(0.0, output_field=FloatField())
        for token in parsed.names:
            wanted = Unaccent(Value(token))
            # `search_text %> token` is pg_trgm's indexable "word similar" operator.
            qs = qs.filter(search_text__trigram_word_similar=wanted)
            score = score + _func("word_similarity", wanted, F("search_text"))
        qs = qs.annotate(score=score).order_by(
            "-score", "last_name", "first_name", "birth_date", "id"
        )
    else:
        qs = qs.order_by("last_name", "first_name", "birth_date", "id")
    if parsed.birth_date:
        qs = qs.filter(birth_date=parsed.birth_date)
    if parsed.year:
        qs = qs.filter(
            birth_date__gte=datetime.date(parsed.year, 1, 1),
            birth_date__lte=datetime.date(parsed.year, 12, 31),
        )
    if parsed.numbers:
        numbers_q = Q()
        for digits in parsed.numbers:
            numbers_q |= Q(ids_text__contains=digits)
        qs = qs.filter(numbers_q)
    return apply_filters(qs, filters, today=today or timezone.localdate())


def apply_filters(
    qs: QuerySet[Patient], filters: SearchFilters | None, *, today: datetime.date
) -> QuerySet[Patient]:
    if filters is None:
        return qs
    if filters.site_id:
        qs = qs.filter(usual_site_id=filters.site_id)
    if filters.in_qpv is not None:
        qs = qs.filter(in_qpv=filters.in_qpv)
    if filters.language:
        qs = qs.filter(language=filters.language)
    kind = filters.coverage_kind
    if kind in CoverageKind.values:
        qs = qs.filter(
            Exists(Coverage.objects.filter(patient=OuterRef("pk"), kind=kind).valid_on(today))
        )
    elif kind == "none":
        qs = qs.exclude(
            Exists(
                Coverage.objects.filter(patient=OuterRef("pk"), kind__in=RIGHTS_KINDS).valid_on(
                    today
                )
            )
        )
    elif kind == "ending":
        qs = qs.filter(Exists(_ending_soon(today)))
    return qs


def _ending_soon(today: datetime.date) -> QuerySet[Coverage]:
    return Coverage.objects.filter(
        patient=OuterRef("pk"),
        kind__in=(CoverageKind.AMO, CoverageKind.AMC, CoverageKind.C2S, CoverageKind.AME),
        start__lte=today,
        end__gte=today,
        end__lte=today + datetime.timedelta(days=ENDING_SOON_DAYS),
    )


def with_current_coverage(
    qs: QuerySet[Patient], today: datetime.date | None = None
) -> QuerySet[Patient]:
    """Prefetch the coverage rows valid `today` as `patient.valid_coverages` (one query)."""
    today = today or timezone.localdate()
    return qs.prefetch_related(
        Prefetch(
            "coverages",
            queryset=Coverage.objects.valid_on(today).order_by("-start", "-id"),
            to_attr="valid_coverages",
        )
    )


def search_patients(
    query: str, *, limit: int = 20, offset: int = 0, filters: SearchFilters | None = None
) -> list[Patient]:
    """Ranked, accent- and typo-tolerant patient search for any app.

    `query` may hold names (`dupont mar`), a year (`1984`), a birth date (`12/03/1984`),
    a phone number or part of a NIR. Each patient comes with `valid_coverages` (coverage
    rows valid today) prefetched. Two queries (plus the similarity setting)."""
    with transaction.atomic():
        _word_similarity_threshold()
        qs = with_current_coverage(search_queryset(query, filters=filters))
        return list(qs[offset : offset + limit])


def coverage_badges(patient: Patient, today: datetime.date | None = None) -> list[tuple[str, str]]:
    """(label, css class) badges from the prefetched `valid_coverages`."""
    today = today or timezone.localdate()
    rows: Sequence[Coverage] = getattr(patient, "valid_coverages", None) or []
    kinds = {row.kind for row in rows}
    badges: list[tuple[str, str]] = []
    if not kinds & RIGHTS_KINDS:
        badges.append(("Sans droits", "danger"))
    if CoverageKind.C2S in kinds:
        badges.append(("C2S", "ok"))
    if CoverageKind.AME in kinds:
        badges.append(("AME", "ok"))
    if CoverageKind.ALD in kinds:
        badges.append(("ALD", ""))
    soon = today + datetime.timedelta(days=ENDING_SOON_DAYS)
    ending = [
        row.end
        for row in rows
        if row.kind in (CoverageKind.AMO, CoverageKind.AMC, CoverageKind.C2S, CoverageKind.AME)
        and row.end is not None
        and row.end <= soon
    ]
    if ending:
        badges.append((f"Droits finissant le {min(ending):%d/%m/%Y}", "warn"))
    return badges


def duplicate_candidates(
    *,
    last_name: str,
    first_name: str,
    birth_date: datetime.date | None,
    nir: str = "",
    birth_name: str = "",
    exclude_id: int | None = None,
    limit: int = 10,
) -> list[Patient]:
    """People who are probably the same person: same NIR; or same birth date and a close
    spelling of the names (which covers "same name and birth date")."""
    condition = Q()
    if nir:
        condition |= Q(nir=nir)
    qs = Patient.objects.active()
    if birth_date and (last_name or first_name):
        wanted = " ".join(p for p in (last_name, birth_name, first_name) if p)
        qs = qs.annotate(
            similarity=_similarity(F("search_text"), Unaccent(Value(wanted))),
        )
        condition |= Q(birth_date=birth_date, similarity__gte=DUPLICATE_SIMILARITY)
    else:
        qs = qs.annotate(similarity=Value(0.0, output_field=FloatField()))
    if not condition:
        return []
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.filter(condition).order_by("-similarity", "id")[:limit])


def _similarity(left: F, right: Unaccent) -> Greatest:
    # Whole-string similarity misses "DUPONT Marie" vs "DUPONT Marie Claire"; the word
    # similarity of the typed form within the stored one catches it.
    return Greatest(
        _func("similarity", left, right),
        _func("word_similarity", right, left),
        output_field=FloatField(),
    )


def _func(name: str, *args: Any) -> Func:
    return Func(*args, function=name, output_field=FloatField())


@dataclass(frozen=True)
class DuplicatePair:
    first: Patient
    second: Patient
    reason: str
    similarity: float


def possible_duplicates(*, limit: int = 100) -> list[DuplicatePair]:
    """Pairs of active records that look like one person (same NIR, or same birth date and
    close names), older record first, leaving out the pairs marked "not duplicates"
    (`NotDuplicatePair`, stored lower id first like `a`, `b` here; filtered in SQL so that
    the limit counts only the pairs shown). One self-join on the birth date index."""
    sql = """
        SELECT a.id, b.id,
               CASE WHEN a.nir <> '' AND a.nir = b.nir THEN 'nir' ELSE 'name' END,
               similarity(a.search_text, b.search_text)
        FROM patients_patient a
        JOIN patients_patient b ON b.id > a.id AND (
            (a.nir <> '' AND a.nir = b.nir)
            OR (a.birth_date = b.birth_date
                AND similarity(a.search_text, b.search_text) >= %s))
        WHERE a.merged_into_id IS NULL AND b.merged_into_id IS NULL
          AND a.anonymised_at IS NULL AND b.anonymised_at IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM patients_notduplicatepair n
              WHERE n.first_id = a.id AND n.second_id = b.id)
        ORDER BY 4 DESC, a.id
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [DUPLICATE_SIMILARITY, limit])
        rows = cursor.fetchall()
    ids = {pid for row in rows for pid in row[:2]}
    patients = Patient.objects.in_bulk(ids)
    reasons = {"nir": "même NIR", "name": "même date de naissance, noms proches"}
    return [
        DuplicatePair(patients[a], patients[b], reasons[reason], float(sim))
        for a, b, reason, sim in rows
    ]


def not_duplicate_marks(*, limit: int = 100) -> list[NotDuplicatePair]:
    """Pairs marked "not duplicates", newest decision first, with both records and who
    decided (one query)."""
    return list(
        NotDuplicatePair.objects.select_related("first", "second", "decided_by").order_by(
            "-decided_at", "-id"
        )[:limit]
    )


def rights_worklist(
    *, today: datetime.date | None = None, filters: SearchFilters | None = None
) -> QuerySet[Patient]:
    """Patients with no rights today or rights ending within 60 days (mediators' worklist)."""
    today = today or timezone.localdate()
    no_rights = ~Exists(
        Coverage.objects.filter(patient=OuterRef("pk"), kind__in=RIGHTS_KINDS).valid_on(today)
    )
    qs: QuerySet[Patient] = Patient.objects.active().filter(no_rights | Exists(_ending_soon(today)))
    qs = apply_filters(qs, filters, today=today)
    return with_current_coverage(qs.order_by("last_name", "first_name", "id"), today)


def patient_for_page(pk: int) -> Patient:
    """The patient with coverage history (one query each)."""
    return Patient.objects.select_related("usual_site", "merged_into").get(pk=pk)


def coverage_history(patient: Patient) -> list[Coverage]:
    return list(patient.coverages.order_by("kind", "-start", "-id"))


def access_log(patient: Patient, *, limit: int = 50) -> list[AuditEntry]:
    """Who read or changed this record, newest first (shown to the director)."""
    return list(
        AuditEntry.objects.filter(
            object_type=Patient._meta.label_lower, object_id=str(patient.pk)
        ).order_by("-at", "-id")[:limit]
    )


def resolve_merged(patient: Patient) -> Patient:
    """Follow `merged_into` to the record in use."""
    seen: set[int] = set()
    while patient.merged_into_id is not None and patient.pk not in seen:
        seen.add(patient.pk)
        patient = Patient.objects.get(pk=patient.merged_into_id)
    return patient


def ids(patients: Iterable[Patient]) -> list[int]:
    return [p.pk for p in patients]
