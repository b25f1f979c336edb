"""Server-side SVG charts for the dashboard and the PDF.

No JavaScript and no style attribute (the CSP forbids them): colours are SVG presentation
attributes (`fill=`) and CSS classes. Labels are escaped; the SVG carries a title and a
description for screen readers, and every chart sits next to the table of its numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

BAR = "#2f6f8f"
BAR_ALT = "#7aa95c"
INK = "#1d2b36"
GRID = "#c9d3da"


def _num(value: int | Decimal | str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0  # suppressed ("< 5") values are drawn as an empty bar


def _fmt(value: int | Decimal | str) -> str:
    return escape(str(value).replace(".", ","))


def column_chart(
    points: Sequence[tuple[str, int | Decimal | str]], *, title: str, width: int = 640
) -> SafeString:
    """Vertical bars (a time series: weeks, months). Every n-th label is written so they fit."""
    height, left, bottom, top = 220, 36, 40, 14
    inner_w, inner_h = width - left - 8, height - bottom - top
    if not points:
        return _empty(title, width)
    peak = max(_num(v) for _, v in points) or 1.0
    step = inner_w / len(points)
    bar_w = max(step * 0.72, 1.0)
    label_every = max(1, round(len(points) / 12))
    parts = [_open(title, width, height)]
    for fraction in (0.0, 0.5, 1.0):
        y = top + inner_h * (1 - fraction)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="{GRID}" '
            'stroke-width="1"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="{INK}">{_fmt(round(peak * fraction))}</text>'
        )
    for index, (label, value) in enumerate(points):
        h = inner_h * _num(value) / peak
        x = left + index * step + (step - bar_w) / 2
        parts.append(
            f'<rect class="chart-bar" x="{x:.1f}" y="{top + inner_h - h:.1f}" width="{bar_w:.1f}" '
            f'height="{h:.1f}" fill="{BAR}"><title>{escape(label)} : {_fmt(value)}</title></rect>'
        )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                f'font-size="9" fill="{INK}">{escape(_short(label))}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 — every label is escaped above


def bar_chart(
    items: Sequence[tuple[str, int | Decimal | str]], *, title: str, width: int = 640
) -> SafeString:
    """Horizontal bars (categories: places, professions, languages), largest data first."""
    if not items:
        return _empty(title, width)
    row, label_w, top = 22, 210, 6
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


def _clip(label: str, size: int = 32) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"
