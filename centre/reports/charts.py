"""Server-side SVG charts for the dashboard and the PDF.

No JavaScript and no style attribute (the CSP forbids them): colours are SVG presentation
attributes (`fill=`) and CSS classes. Labels are escaped; the SVG carries a title and a
description for screen readers, and every chart sits next to the table of its numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

BAR = "#2f6f8f"
BAR_ALT = "#7aa95c"
INK = "#1d2b36"
GRID = "#c9d3da"
BAR_PARTIAL = "#a9c6d6"


def _num(value: int | Decimal | str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0  # suppressed ("< 5") values are drawn as an empty bar


def _fmt(value: int | Decimal | str) -> str:
    return escape(str(value).replace(".", ","))


def column_chart(
    points: Sequence[tuple[str, int | Decimal | str]],
    *,
    title: str,
    width: int = 640,
    partial: frozenset[str] | set[str] = frozenset(),
    short_labels: Sequence[str] | None = None,
) -> SafeString:
    """Vertical bars (a time series: weeks, months). Labels are written every n-th bar so
    they never overlap (about 34 px each); partial weeks or months are drawn in a lighter
    colour and their label carries « * », explained under the chart."""
    height, left, bottom, top = 230, 40, 48, 14
    inner_w, inner_h = width - left - 8, height - bottom - top
    if not points:
        return _empty(title, width)
    labels = list(short_labels) if short_labels else [_short(label) for label, _ in points]
    peak = max(_num(v) for _, v in points) or 1.0
    step = inner_w / len(points)
    bar_w = max(step * 0.72, 1.0)
    label_every = max(1, math.ceil(34 / step))
    parts = [_open(title, width, height)]
    for fraction in (0.0, 0.5, 1.0):
        y = top + inner_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="{GRID}" '
            'stroke-width="1"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="{INK}">{_fmt(round(peak * fraction))}</text>'
        )
    last = len(points) - 1
    for index, (label, value) in enumerate(points):
        h = inner_h * _num(value) / peak
        x = left + index * step + (step - bar_w) / 2
        colour = BAR_PARTIAL if label in partial else BAR
        parts.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{top + inner_h - h:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}" fill="{colour}">'
            f"<title>{escape(label)} : {_fmt(value)}</title></rect>"
        )
        if index % label_every == 0 or (index == last and label in partial):
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                f'font-size="10" fill="{INK}">{escape(labels[index])}</text>'
            )
    if partial:
        parts.append(
            f'<text x="{left}" y="{height - 8}" font-size="10" fill="{INK}">'
            "* période partielle (une partie seulement de ses jours est dans la période), "
            "en clair</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every label is escaped above


def bar_chart(
    items: Sequence[tuple[str, int | Decimal | str]], *, title: str, width: int = 640
) -> SafeString:
    """Horizontal bars (categories: places, professions, languages), largest data first."""
    if not items:
        return _empty(title, width)
    row, label_w, top = 22, 250, 6
    height = top * 2 + row * len(items)
    peak = max(_num(v) for _, v in items) or 1.0
    inner_w = width - label_w - 60
    parts = [_open(title, width, height)]
    for index, (label, value) in enumerate(items):
        y = top + index * row
        w = inner_w * _num(value) / peak
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="11" '
            f'fill="{INK}">{escape(_clip(label))}</text>'
            f'<rect class="chart-bar" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
            f'fill="{BAR_ALT if index % 2 else BAR}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" font-size="11" '
            f'fill="{INK}">{_fmt(value)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every label is escaped above


def _open(title: str, width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def _empty(title: str, width: int) -> SafeString:
    return mark_safe(  # noqa: S308 — the title is escaped
        _open(title, width, 40)
        + f'<text x="8" y="24" font-size="12" fill="{INK}">'
        + "Aucune donnée sur la période.</text></svg>"
    )


def _short(label: str) -> str:
    # ISO dates of weeks ("2026-03-02") are shown as "02/03".
    if len(label) == 10 and label[4] == "-" and label[7] == "-":
        return f"{label[8:10]}/{label[5:7]}"
    if len(label) == 7 and label[4] == "-":
        return f"{label[5:7]}/{label[2:4]}"
    return label


def _clip(label: str, size: int = 40) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"
