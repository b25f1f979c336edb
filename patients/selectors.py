"""Reads of patient data, for this app and the others (appointments' booking screen and
outreach call `search_patients`)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection, transaction
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Greatest
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from centre import audit
from centre.models import AuditEntry, User
from patients import perms
from patients.coverage import ENDING_SOON_DAYS
from patients.identifiers import FULL_NIR, compact_nir
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
# A search word that only sounds like a name (same phonetic key, spelling further than the
# trigram threshold) ranks as a word similarity of 0.6: below an exact or close spelling.
PHONETIC_SCORE = 0.6
PHONETIC_MIN_LETTERS = 3

_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEAR = re.compile(r"^(19|20)\d{2}$")
_NUMBER = re.compile(r"^\+?[\d .\-]+$")


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
    nir = compact_nir(text)
    if FULL_NIR.match(nir):
        # A whole NIR as the app displays it (`2 87 06 2A 123 456 78`), Corsica included.
        parsed.numbers.append(nir)
        return parsed
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
    query: str,
    *,
    filters: SearchFilters | None = None,
    today: datetime.date | None = None,
    match_nir: bool = True,
) -> QuerySet[Patient]:
    """Active patients matching `query`, best first (needs the similarity threshold set:
    use `search_patients`, or call inside `transaction.atomic()` after
    `_word_similarity_threshold()`). `match_nir=False` (roles that do not see NIRs): digits
    are looked for in the phone numbers only, so that a NIR typed in the box finds nobody."""
    parsed = parse_query(query)
    qs = Patient.objects.active()
    if parsed.empty:
        return qs.none()
    if parsed.names:
        score: Combinable = Value(0.0, output_field=FloatField())
        for token in parsed.names:
            wanted = Unaccent(Value(token))
            # `search_text %> token` is pg_trgm's indexable "word similar" operator.
            similar = Q(search_text__trigram_word_similar=wanted)
            token_score: Combinable = _func("word_similarity", wanted, F("search_text"))
            if _phonetic_word(token):
                # Or a name that sounds the same (Muhammad for Mohamed, Belkassem for
                # Belkacem): the GIN index of `phonetic_keys`, ranked below a close spelling.
                sounds = Q(phonetic_keys__overlap=_phonetic_query(token))
                similar |= sounds
                token_score = Greatest(
                    token_score,
                    Case(
                        When(sounds, then=Value(PHONETIC_SCORE)),
                        default=Value(0.0),
                        output_field=FloatField(),
                    ),
                    output_field=FloatField(),
                )
            qs = qs.filter(similar)
            score = score + token_score
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
            if match_nir:
                numbers_q |= Q(ids_text__contains=digits)
            else:
                # ids_text (indexed) narrows the rows; the phones decide.
                numbers_q |= Q(ids_text__contains=digits) & (
                    Q(phone__contains=digits) | Q(phone_alt__contains=digits)
                )
        qs = qs.filter(numbers_q)
    return apply_filters(qs, filters, today=today or timezone.localdate())


def _phonetic_word(token: str) -> bool:
    """Words of 3 letters or more get a phonetic match: shorter keys match too much."""
    return sum(c.isalpha() for c in token) >= PHONETIC_MIN_LETTERS


def _phonetic_query(token: str) -> Func:
    return Func(
        Value(token),
        function="patients_phonetic_query",
        output_field=ArrayField(TextField()),
    )


def _phonetic_keys(last_name: str, birth_name: str, first_name: str) -> Func:
    return Func(
        Value(last_name),
        Value(birth_name),
        Value(first_name),
        function="patients_phonetic_keys",
        output_field=ArrayField(TextField()),
    )


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
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    filters: SearchFilters | None = None,
    match_nir: bool = True,
) -> list[Patient]:
    """Ranked, accent- and typo-tolerant patient search for any app (not journaled: the
    pages and the API of this app use `patients_search`, which is).

    `query` may hold names (`dupont mar`), a year (`1984`), a birth date (`12/03/1984`),
    a phone number or part of a NIR. Each patient comes with `valid_coverages` (coverage
    rows valid today) prefetched. Two queries (plus the similarity setting)."""
    with transaction.atomic():
        _word_similarity_threshold()
        qs = with_current_coverage(search_queryset(query, filters=filters, match_nir=match_nir))
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
    spelling of the names (which covers "same name and birth date"); or same birth date and
    names that sound the same (`phonetic_keys`: a last-name and a first-name key shared)."""
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
        if (last_name or birth_name) and first_name:
            # Or names that sound the same: a last-name key and a first-name key in common
            # (BELKACEM Émilie for Belkasem Emilie, Muhammad for Mohamed).
            condition |= Q(
                birth_date=birth_date,
                phonetic_keys__overlap=_phonetic_keys(last_name, birth_name, ""),
            ) & Q(phonetic_keys__overlap=_phonetic_keys("", "", first_name))
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
    close or same-sounding names), older record first, leaving out the pairs marked "not duplicates"
    (`NotDuplicatePair`, stored lower id first like `a`, `b` here; filtered in SQL so that
    the limit counts only the pairs shown). One self-join on the birth date index."""
    sql = """
        SELECT a.id, b.id,
               CASE WHEN a.nir <> '' AND a.nir = b.nir THEN 'nir'
                    WHEN similarity(a.search_text, b.search_text) >= %s THEN 'name'
                    ELSE 'sound' END,
               similarity(a.search_text, b.search_text)
        FROM patients_patient a
        JOIN patients_patient b ON b.id > a.id AND (
            (a.nir <> '' AND a.nir = b.nir)
            OR (a.birth_date = b.birth_date
                AND (similarity(a.search_text, b.search_text) >= %s
                     OR patients_phonetic_match(a.phonetic_keys, b.phonetic_keys))))
        WHERE a.merged_into_id IS NULL AND b.merged_into_id IS NULL
          AND a.anonymised_at IS NULL AND b.anonymised_at IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM patients_notduplicatepair n
              WHERE n.first_id = a.id AND n.second_id = b.id)
        ORDER BY 4 DESC, a.id
        LIMIT %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [DUPLICATE_SIMILARITY, DUPLICATE_SIMILARITY, limit])
        rows = cursor.fetchall()
    ids = {pid for row in rows for pid in row[:2]}
    patients = Patient.objects.in_bulk(ids)
    reasons = {
        "nir": "même NIR",
        "name": "même date de naissance, noms proches",
        "sound": "même date de naissance, noms qui se prononcent de même",
    }
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


def access_log(patient: Patient, *, limit: int = 50) -> list[AuditEntry]:
    """Who read or changed this record, newest first (shown to the director): every door,
    lists and exports included (`patients.services.gdpr.who_read`)."""
    from patients.services.gdpr import who_read

    return who_read(patient, limit=limit)


def resolve_merged(patient: Patient) -> Patient:
    """Follow `merged_into` to the record in use."""
    seen: set[int] = set()
    while patient.merged_into_id is not None and patient.pk not in seen:
        seen.add(patient.pk)
        patient = Patient.objects.get(pk=patient.merged_into_id)
    return patient


def ids(patients: Iterable[Patient]) -> list[int]:
    return [p.pk for p in patients]


# ---------------------------------------------------------------------------------------
# Journaled reads. Pages and API call the same selector, so that both doors leave the same
# journal entry: one `record_list_read` naming the records a list showed, one `record_read`
# per record opened. The NIR is matched and shown to the roles of `perms.SEE_NIR` only.

SEARCH_ACTION = "patient.search"
VIEW_ACTION = "patient.view"
DUPLICATE_CANDIDATES_ACTION = "patient.duplicate_candidates"
RIGHTS_WORKLIST_ACTION = "patient.rights_worklist"
DUPLICATES_ACTION = "patient.duplicates"
MERGE_SCREEN_ACTION = "patient.merge_screen"


@dataclass
class PatientPage:
    """One page of a patient list. Each patient has `all_coverages` (every right, by kind
    then newest first) and `valid_coverages` (those valid today) set."""

    patients: list[Patient]
    number: int
    has_next: bool
    count: int | None = None


def _all_coverages() -> Prefetch:
    return Prefetch(
        "coverages",
        queryset=Coverage.objects.order_by("kind", "-start", "-id"),
        to_attr="all_coverages",
    )


def _set_valid_coverages(patients: Iterable[Patient], today: datetime.date) -> None:
    for patient in patients:
        rows: list[Coverage] = getattr(patient, "all_coverages", [])
        patient.valid_coverages = [c for c in rows if c.is_valid_on(today)]  # type: ignore[attr-defined]


def patients_search(
    *,
    by: User,
    query: str = "",
    filters: SearchFilters | None = None,
    page: int = 1,
    page_size: int = 20,
    everyone_when_empty: bool = False,
    with_count: bool = False,
) -> PatientPage:
    """The patient search and list of the pages and of `GET /api/v1/patients/`, journaled
    (`patient.search`, with the ids of the page shown, when it shows any).

    `query` searches as `search_patients` does (a NIR only for roles that see NIRs);
    without a query, `filters` list the patients matching them, and when there are none
    either, the list is empty — or every active patient with `everyone_when_empty` (the
    API's plain list). `with_count` adds the total (the API's `count`)."""
    today = timezone.localdate()
    has_filters = filters is not None and bool(
        filters.site_id or filters.coverage_kind or filters.language or filters.in_qpv is not None
    )
    offset = (max(1, page) - 1) * page_size
    with transaction.atomic():
        if query:
            _word_similarity_threshold()
            qs = search_queryset(
                query, filters=filters, today=today, match_nir=perms.can_see_nir(by)
            )
        elif has_filters or everyone_when_empty:
            qs = apply_filters(
                Patient.objects.active().order_by("last_name", "first_name", "id"),
                filters,
                today=today,
            )
        else:
            return PatientPage([], page, has_next=False, count=0 if with_count else None)
        count = qs.count() if with_count else None
        rows = list(qs.prefetch_related(_all_coverages())[offset : offset + page_size + 1])
    shown = rows[:page_size]
    _set_valid_coverages(shown, today)
    if shown:
        audit.record_list_read(actor=by, action=SEARCH_ACTION, model=Patient, ids=ids(shown))
    return PatientPage(shown, page, has_next=len(rows) > page_size, count=count)


def patient_detail(
    *, by: User, patient_id: int, redirect_merged: bool = False, active_only: bool = False
) -> Patient:
    """One record with its rights (`all_coverages`, `valid_coverages`), journaled
    (`patient.view`), for the record page and `GET /api/v1/patients/{id}/`. Http404 when
    there is no such record. With `redirect_merged`, a merged record is returned unread and
    unjournaled: the page sends the person to the record kept instead. With `active_only`
    (the edit form), a merged or anonymised record is a 404."""
    qs = Patient.objects.active() if active_only else Patient.objects.all()
    patient = get_object_or_404(
        qs.select_related("usual_site", "merged_into").prefetch_related(_all_coverages()),
        pk=patient_id,
    )
    if redirect_merged and patient.merged_into_id is not None:
        return patient
    _set_valid_coverages([patient], timezone.localdate())
    audit.record_read(actor=by, action=VIEW_ACTION, obj=patient)
    return patient


def patient_with_rights(patient_id: int) -> Patient:
    """A record with its rights set as `patient_detail` sets them, not journaled: what an
    API write answers with (the caller's own write, not a read of the record) and the
    instance it validates against. Http404 when there is no such record."""
    patient = get_object_or_404(Patient.objects.prefetch_related(_all_coverages()), pk=patient_id)
    _set_valid_coverages([patient], timezone.localdate())
    return patient


def candidate_summary(patient: Patient, *, by: User) -> dict[str, Any]:
    """What a duplicate warning shows of an existing record (the API's 409 `candidates`)."""
    summary: dict[str, Any] = {
        "id": patient.pk,
        "display_name": patient.display_name,
        "birth_date": patient.birth_date,
    }
    if perms.can_see_nir(by):
        summary["nir"] = patient.nir
    return summary


def duplicate_candidates_shown(*, by: User, candidates: Sequence[Patient]) -> list[dict[str, Any]]:
    """The candidates a registration refused with, as shown, journaled."""
    if candidates:
        audit.record_list_read(
            actor=by, action=DUPLICATE_CANDIDATES_ACTION, model=Patient, ids=ids(candidates)
        )
    return [candidate_summary(p, by=by) for p in candidates]


def duplicate_check(*, by: User, values: dict[str, Any]) -> list[Patient]:
    """The live check of the intake form: the records that look like the person being
    typed, as the registration will find them (the NIR only for roles that see NIRs),
    journaled when there are any."""
    found = duplicate_candidates(
        last_name=values.get("last_name") or "",
        first_name=values.get("first_name") or "",
        birth_name=values.get("birth_name") or "",
        birth_date=values.get("birth_date"),
        nir=(values.get("nir") or "") if perms.can_see_nir(by) else "",
    )
    if found:
        audit.record_list_read(
            actor=by, action=DUPLICATE_CANDIDATES_ACTION, model=Patient, ids=ids(found)
        )
    return found


def patients_rights_worklist(
    *, by: User, filters: SearchFilters | None = None, limit: int = 200
) -> list[Patient]:
    """The rights worklist page (`rights_worklist`), journaled (`patient.rights_worklist`)."""
    today = timezone.localdate()
    shown = list(rights_worklist(today=today, filters=filters)[:limit])
    if shown:
        audit.record_list_read(
            actor=by, action=RIGHTS_WORKLIST_ACTION, model=Patient, ids=ids(shown)
        )
    return shown


def duplicates_screen(
    *, by: User, limit: int = 100
) -> tuple[list[DuplicatePair], list[NotDuplicatePair]]:
    """The director's duplicates page: possible pairs and pairs marked "not duplicates",
    journaled (`patient.duplicates`, every record shown once)."""
    pairs = possible_duplicates(limit=limit)
    marks = not_duplicate_marks(limit=limit)
    shown = [
        *(p for pair in pairs for p in (pair.first.pk, pair.second.pk)),
        *(p for mark in marks for p in (mark.first_id, mark.second_id)),
    ]
    if shown:
        audit.record_list_read(
            actor=by, action=DUPLICATES_ACTION, model=Patient, ids=list(dict.fromkeys(shown))
        )
    return pairs, marks


def merge_screen(*, by: User, keep_id: int, merged_id: int) -> tuple[Patient, Patient]:
    """Both active records of a merge, older first, journaled (`patient.merge_screen`)."""
    if keep_id == merged_id:
        raise Http404("Deux dossiers différents sont nécessaires.")
    active = Patient.objects.active().select_related("usual_site")
    keep = get_object_or_404(active, pk=keep_id)
    other = get_object_or_404(active, pk=merged_id)
    if keep.pk > other.pk:
        keep, other = other, keep
    audit.record_list_read(
        actor=by, action=MERGE_SCREEN_ACTION, model=Patient, ids=[keep.pk, other.pk]
    )
    return keep, other
