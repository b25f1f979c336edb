"""Results of a survey: counts and percentages per question, numeric summaries, free texts and
a cross-tabulation by one question — computed with a constant number of SQL aggregates
whatever the number of answer sheets (pinned in the tests and the benchmark).

Small counts are suppressed as in the funders' reports (centre/reports/figures.py): a count
from 1 to threshold − 1 is shown "< threshold", and a percentage or mean that would give it
back is hidden. The same objects feed the page, the PDF and the XLSX.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, F, FilteredRelation, Q, Window
from django.db.models.functions import RowNumber
from django.utils.safestring import SafeString

from centre.reports import charts
from centre.reports.figures import HIDDEN_SHARE, Cell, display, is_suppressed, mask
from centre.reports.indicators import percent
from centre.reports.suppression import State, protect
from outreach.participation.models import (
    Answer,
    AnswerSheet,
    Choice,
    Question,
    QuestionKind,
    SheetChannel,
    Survey,
)

# Free-text answers listed per question on the page (the exports list them all).
TEXTS_SHOWN = 50
# A number question with more distinct values than this is shown in ranges.
MAX_VALUE_ROWS = 12


def threshold() -> int:
    return settings.REPORT_SUPPRESSION_THRESHOLD


@dataclass
class Row:
    label: str
    count: int
    percent: Decimal | None
    shown: Cell = None
    percent_shown: str = ""


@dataclass
class CrossTable:
    by: Question
    columns: list[str]
    rows: list[tuple[str, list[Cell]]]
    totals: list[Cell]


@dataclass
class QuestionResult:
    question: Question
    answered: int
    rows: list[Row] = field(default_factory=list)
    mean: Decimal | None = None
    median: Decimal | None = None
    texts: list[str] = field(default_factory=list)
    answered_shown: Cell = None
    mean_shown: str = ""
    cross: CrossTable | None = None
    chart: SafeString | None = None

    @property
    def kind_label(self) -> str:
        return QuestionKind(self.question.kind).label


@dataclass
class SurveyResults:
    survey: Survey
    sheets: int
    by_channel: dict[str, int]
    questions: list[QuestionResult]
    by: Question | None
    threshold: int | None
    sheets_shown: Cell = None

    @property
    def cross_candidates(self) -> list[Question]:
        return [r.question for r in self.questions if r.question.kind == QuestionKind.SINGLE]


def _decimal(value: float | Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _median(distribution: list[tuple[int, int]]) -> Decimal | None:
    total = sum(n for _, n in distribution)
    if not total:
        return None
    values: list[int] = []
    # Walk the sorted distribution to the middle element(s) without expanding it.
    middle = [(total - 1) // 2, total // 2]
    seen = 0
    for value, n in sorted(distribution):
        for target in middle:
            if seen <= target < seen + n:
                values.append(value)
        seen += n
    return _decimal(Decimal(sum(values)) / len(values))


def _value_rows(
    question: Question, distribution: list[tuple[int, int]], answered: int
) -> list[Row]:
    counts = dict(distribution)
    if question.kind == QuestionKind.SCALE and question.min_value is not None:
        high = question.max_value if question.max_value is not None else question.min_value
        values = range(question.min_value, high + 1)
        return [Row(str(v), counts.get(v, 0), percent(counts.get(v, 0), answered)) for v in values]
    if not counts:
        return []
    if len(counts) <= MAX_VALUE_ROWS:
        return [Row(str(v), n, percent(n, answered)) for v, n in sorted(counts.items())]
    low, high = min(counts), max(counts)
    width = -(-(high - low + 1) // 8)  # eight ranges, rounded up
    rows = []
    for start in range(low, high + 1, width):
        end = min(start + width - 1, high)
        n = sum(c for v, c in counts.items() if start <= v <= end)
        rows.append(Row(f"{start} à {end}", n, percent(n, answered)))
    return rows


def compute(
    survey: Survey, *, by: Question | None = None, threshold: int | None = None
) -> SurveyResults:
    """Seven queries (eight with a cross-tabulation), whatever the number of answers.
    `threshold=None` keeps exact counts (tests); pages and exports pass the setting."""
    questions = list(Question.objects.filter(survey=survey).order_by("position"))  # 1
    choices: dict[int, list[Choice]] = defaultdict(list)
    for choice in Choice.objects.filter(question__survey=survey).order_by(  # 2
        "question_id", "position"
    ):
        choices[choice.question_id].append(choice)
    by_channel = {
        row["channel"]: row["n"]
        for row in AnswerSheet.objects.filter(survey=survey)  # 3
        .values("channel")
        .annotate(n=Count("pk"))
        .order_by("channel")
    }
    answers = Answer.objects.filter(question__survey=survey)
    answered = {
        row["question_id"]: row["n"]
        for row in answers.values("question_id")  # 4
        .annotate(n=Count("sheet_id", distinct=True))
        .order_by("question_id")
    }
    choice_counts = {
        row["choice_id"]: row["n"]
        for row in answers.filter(choice__isnull=False)  # 5
        .values("choice_id")
        .annotate(n=Count("pk"))
        .order_by("choice_id")
    }
    numbers: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for row in (
        answers.filter(number__isnull=False)  # 6
        .values("question_id", "number")
        .annotate(n=Count("pk"))
        .order_by("question_id", "number")
    ):
        if row["number"] is not None:  # always true: filtered above (for the type checker)
            numbers[row["question_id"]].append((row["number"], row["n"]))
    texts: dict[int, list[str]] = defaultdict(list)
    for qid, text in (
        answers.exclude(text="")  # 7: the latest ones per question, by a window function
        .annotate(
            rank=Window(RowNumber(), partition_by=[F("question_id")], order_by=F("pk").desc())
        )
        .filter(rank__lte=TEXTS_SHOWN)
        .order_by("question_id", "-pk")
        .values_list("question_id", "text")
    ):
        texts[qid].append(text)
    cross = _cross_counts(survey, by, choices) if by is not None else {}  # 8

    results = []
    for question in questions:
        n = answered.get(question.pk, 0)
        result = QuestionResult(question=question, answered=n)
        if question.has_choices:
            result.rows = [
                Row(c.label, choice_counts.get(c.pk, 0), percent(choice_counts.get(c.pk, 0), n))
                for c in choices[question.pk]
            ]
        elif question.is_numeric:
            distribution = numbers.get(question.pk, [])
            result.rows = _value_rows(question, distribution, n)
            total = sum(c for _, c in distribution)
            if total:
                result.mean = _decimal(Decimal(sum(v * c for v, c in distribution)) / total)
                result.median = _median(distribution)
        else:
            result.texts = texts.get(question.pk, [])
        if (
            by is not None
            and question.pk != by.pk
            and (question.has_choices or question.is_numeric)
        ):
            result.cross = _cross_table(question, result.rows, by, choices, cross, threshold)
        results.append(result)
    outcome = SurveyResults(
        survey=survey,
        sheets=sum(by_channel.values()),
        by_channel={SheetChannel(k).label: v for k, v in by_channel.items()},
        questions=results,
        by=by,
        threshold=threshold,
    )
    _mask(outcome, threshold)
    return outcome


CrossCounts = dict[tuple[int, str, int], int]  # (question id, row label, by-choice id) -> n


def _cross_counts(survey: Survey, by: Question, choices: dict[int, list[Choice]]) -> CrossCounts:
    """One query: every answer with the choice its sheet gave to the `by` question."""
    # A join of the answers with the same sheet's answer to `by` (one row at most: single
    # choice), rather than a correlated subquery per answer.
    rows = (
        Answer.objects.filter(question__survey=survey)
        .exclude(question=by)
        .annotate(
            by_answer=FilteredRelation("sheet__answers", condition=Q(sheet__answers__question=by))
        )
        .filter(by_answer__choice__isnull=False)
        .values("question_id", "choice_id", "number", by_choice=F("by_answer__choice_id"))
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: CrossCounts = defaultdict(int)
    for row in rows:
        key = str(row["choice_id"]) if row["choice_id"] is not None else f"n{row['number']}"
        counts[(row["question_id"], key, row["by_choice"])] += row["n"]
    return counts


def _cross_table(
    question: Question,
    rows: list[Row],
    by: Question,
    choices: dict[int, list[Choice]],
    counts: CrossCounts,
    threshold: int | None,
) -> CrossTable:
    columns = choices[by.pk]

    def cell(n: int) -> Cell:
        return mask(n, threshold if threshold is not None else 1)

    table: list[tuple[str, list[Cell]]] = []
    totals = [0] * len(columns)
    if question.has_choices:
        for choice in choices[question.pk]:
            values = [counts.get((question.pk, str(choice.pk), col.pk), 0) for col in columns]
            totals = [a + b for a, b in zip(totals, values, strict=True)]
            table.append((choice.label, [cell(v) for v in values]))
    else:
        for row in rows:
            low, _, high = row.label.partition(" à ")
            lo, hi = int(low), int(high or low)
            values = [
                sum(
                    n
                    for (qid, key, col_id), n in counts.items()
                    if qid == question.pk
                    and col_id == col.pk
                    and key.startswith("n")
                    and lo <= int(key[1:]) <= hi
                )
                for col in columns
            ]
            totals = [a + b for a, b in zip(totals, values, strict=True)]
            table.append((row.label, [cell(v) for v in values]))
    return CrossTable(
        by=by, columns=[c.label for c in columns], rows=table, totals=[cell(t) for t in totals]
    )


def _protect_partition(result: QuestionResult, limit: int) -> None:
    """Complementary suppression (centre/reports/suppression.py): the rows of a single-choice
    or scale question add up to its answers, so one hidden row could be given back by
    subtraction; another row (or the answers' total) is hidden too, shown « secret »."""
    counts = [row.count for row in result.rows]
    single = result.question.kind in (QuestionKind.SINGLE, QuestionKind.SCALE)
    if limit <= 1 or not single or not counts or sum(counts) != result.answered:
        return
    protected = protect(result.answered, counts, limit)
    for row, state in zip(result.rows, protected.part_states, strict=True):
        if state in (State.SECONDARY, State.WITHHELD):
            row.shown = HIDDEN_SHARE
    if protected.total_state in (State.SECONDARY, State.WITHHELD):
        result.answered_shown = HIDDEN_SHARE


def _mask(outcome: SurveyResults, threshold: int | None) -> None:
    limit = threshold if threshold is not None else 1
    outcome.sheets_shown = mask(outcome.sheets, limit)
    for result in outcome.questions:
        result.answered_shown = mask(result.answered, limit)
        hidden_base = is_suppressed(result.answered_shown)
        for row in result.rows:
            row.shown = mask(row.count, limit)
        _protect_partition(result, limit)
        hidden_base = is_suppressed(result.answered_shown)
        for row in result.rows:
            if is_suppressed(row.shown) or hidden_base:
                row.percent_shown = HIDDEN_SHARE
            else:
                row.percent_shown = display(
                    str(row.percent) if row.percent is not None else None, "%"
                )
        if result.mean is not None:
            result.mean_shown = HIDDEN_SHARE if hidden_base else display(str(result.mean))
        if result.rows:
            result.chart = charts.bar_chart(
                [(row.label, row.shown if row.shown is not None else 0) for row in result.rows],
                title=result.question.text,
                width=560,
            )
