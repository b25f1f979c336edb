"""Every HTMX poll (`hx-trigger="every …"`) is marked as a poll (`X-Passerelle-Poll`), so
that a screen left open does not keep its session alive (centre.middleware)."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
POLL = re.compile(r"<[^>]*hx-trigger=\"[^\"]*\bevery\b[^\"]*\"[^>]*>", re.S)


def test_every_poll_carries_the_poll_header() -> None:
    polls = [
        (path.relative_to(TEMPLATES), tag)
        for path in TEMPLATES.rglob("*.html")
        for tag in POLL.findall(path.read_text(encoding="utf-8"))
    ]
    assert len(polls) >= 4  # the survey results, report progress, waiting room, « À faire »
    unmarked = [str(path) for path, tag in polls if "X-Passerelle-Poll" not in tag]
    assert unmarked == []
