from __future__ import annotations

import random

import pytest

from centre import demo as centre_demo
from outreach import demo
from outreach.models import CollectiveAction, Permanence, RightsSession


@pytest.mark.django_db
def test_seed_is_idempotent() -> None:
    org = centre_demo.seed_organisation()
    first = demo.seed(org, random.Random(2026))
    counts = (Permanence.objects.count(), RightsSession.objects.count())
    # About 1,500 sessions a year (docs/outreach.md), over 18 months.
    assert counts[0] > 300 and counts[1] > 1800
    assert CollectiveAction.objects.count() >= 30
    second = demo.seed(org, random.Random(2026))
    assert second == first
    assert (Permanence.objects.count(), RightsSession.objects.count()) == counts
