from __future__ import annotations

import random

import pytest
from django.utils import timezone

from centre.demo import seed_organisation
from patients import demo
from patients.models import Coverage, CoverageKind, Patient
from patients.selectors import possible_duplicates

pytestmark = pytest.mark.django_db


def test_demo_seed_is_idempotent_with_the_coverage_mix() -> None:
    org = seed_organisation()
    first = demo.seed(org, random.Random(2026))
    counts = (Patient.objects.count(), Coverage.objects.count())
    second = demo.seed(org, random.Random(2026))
    assert (Patient.objects.count(), Coverage.objects.count()) == counts
    assert first.split("(")[0] == second.split("(")[0]
    total = counts[0]
    assert 300 <= total <= 310
    valid = Coverage.objects.valid_on(timezone.localdate())

    def share(kind: str) -> float:
        return valid.filter(kind=kind).values("patient").distinct().count() / total

    assert 0.25 <= share(CoverageKind.C2S) <= 0.35
    assert 0.05 <= share(CoverageKind.AME) <= 0.11
    assert 0.10 <= share(CoverageKind.ALD) <= 0.20
    assert len(possible_duplicates()) >= 5
