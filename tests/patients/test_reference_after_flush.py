"""The INSEE birth places (reference data loaded by migration) survive the flush that ends a
transactional test: tests/conftest.py reloads them on post_migrate."""

from __future__ import annotations

import pytest

from patients.models import BirthPlace


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_sees_the_birth_places() -> None:
    assert BirthPlace.objects.filter(code="86194").exists()  # Poitiers


@pytest.mark.django_db(transaction=True)
def test_and_so_does_the_next_one_after_the_flush() -> None:
    assert BirthPlace.objects.filter(code="99352").exists()  # Algérie
    assert BirthPlace.objects.count() > 37_000


@pytest.mark.django_db
def test_and_an_ordinary_test_afterwards() -> None:
    assert BirthPlace.objects.filter(code="86194", kind="commune").exists()
