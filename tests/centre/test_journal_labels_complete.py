"""Every action the code journals reads in French on the journal page: either it has its own
label, or its family and verb do (never « Facturation : resend »)."""

from __future__ import annotations

import re
from pathlib import Path

from centre.journal_labels import ACTIONS, FAMILIES, VERBS, action_label

ROOT = Path(__file__).resolve().parents[2]
APPS = ("appointments", "billing", "centre", "outreach", "patients")
LITERAL = re.compile(r'action="([a-z_]+(?:\.[a-z_0-9]+)+)"')
CONSTANT = re.compile(r'^[A-Z_]+ = "([a-z_]+(?:\.[a-z_0-9]+)+)"$', re.M)


def _actions_in_code() -> set[str]:
    found: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            # journal_keys names the kinds of person a key belongs to, not actions.
            if "migrations" in path.parts or path.name == "journal_keys.py":
                continue
            text = path.read_text(encoding="utf-8")
            found.update(LITERAL.findall(text))
            found.update(a for a in CONSTANT.findall(text) if a.split(".")[0] in FAMILIES)
    return found


def test_every_journaled_action_has_a_french_label() -> None:
    actions = _actions_in_code()
    assert len(actions) > 100  # the scan finds the code's actions
    untranslated = sorted(
        a
        for a in actions
        if a not in ACTIONS
        and not (a.split(".")[0] in FAMILIES and a.split(".")[-1] in VERBS)
        and not a.split(".")[-1].endswith(("_sent", "_failed"))
        and not a.split(".")[-1].startswith("export_")
    )
    assert untranslated == []
    assert action_label("billing.batch.resend") == "Lot renvoyé"
    assert action_label("schedule.weekly.end") == "Plannings : fin"
