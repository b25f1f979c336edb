"""« Belkasem Emilie, 21/06/1987 » while « BELKACEM Émilie », same birth date, exists: a
warning at every door (page: confirm to proceed; API: 409 with the candidates unless
`confirm_not_duplicate`), and the pair on the director's duplicates page. Also for a
transliteration trigrams alone miss (Muhammad Aisha / MOHAMED Aïcha)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import cast

import pytest
from django.test import Client
from django.urls import reverse

from centre.models import AuditEntry
from patients.models import Patient
from tests.patients.factories import PatientFactory

pytestmark = pytest.mark.django_db
ClientFor = Callable[[str | None], Client]
API = "/api/v1/patients/"
BORN = datetime.date(1987, 6, 21)


def existing(last_name: str = "BELKACEM", first_name: str = "Émilie") -> Patient:
    return cast(
        Patient, PatientFactory(last_name=last_name, first_name=first_name, birth_date=BORN)
    )


def form_data(last_name: str = "Belkasem", first_name: str = "Emilie") -> dict[str, str]:
    return {
        "last_name": last_name,
        "first_name": first_name,
        "sex": "F",
        "birth_date": "1987-06-21",
        "language": "fr",
        "in_qpv": "unknown",
    }


@pytest.mark.parametrize(
    ("known", "typed"),
    [
        (("BELKACEM", "Émilie"), ("Belkasem", "Emilie")),
        (("MOHAMED", "Aïcha"), ("Muhammad", "Aisha")),
    ],
)
def test_the_page_warns_then_registers_once_confirmed(
    client_for: ClientFor, known: tuple[str, str], typed: tuple[str, str]
) -> None:
    record = existing(*known)
    client = client_for("accueil")
    refused = client.post(reverse("patients:create"), form_data(*typed))
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "peut-être déjà enregistrée" in html
    assert reverse("patients:detail", args=[record.pk]) in html
    assert Patient.objects.count() == 1
    confirmed = client.post(
        reverse("patients:create"), {**form_data(*typed), "not_a_duplicate": "on"}
    )
    assert confirmed.status_code == 302
    created = Patient.objects.exclude(pk=record.pk).get()
    assert AuditEntry.objects.get(action="patient.duplicates_dismissed").extra == {
        "candidates": [record.pk]
    }
    assert created.last_name == typed[0]


def test_the_live_check_shows_the_candidate_while_typing(client_for: ClientFor) -> None:
    record = existing()
    response = client_for("accueil").get(reverse("patients:duplicate_check"), form_data())
    assert reverse("patients:detail", args=[record.pk]) in response.content.decode()


@pytest.mark.parametrize(
    ("known", "typed"),
    [
        (("BELKACEM", "Émilie"), ("Belkasem", "Emilie")),
        (("MOHAMED", "Aïcha"), ("Muhammad", "Aisha")),
    ],
)
def test_the_api_answers_409_then_201_with_the_confirm_flag(
    client_for: ClientFor, known: tuple[str, str], typed: tuple[str, str]
) -> None:
    record = existing(*known)
    client = client_for("accueil")
    body = {"last_name": typed[0], "first_name": typed[1], "sex": "F", "birth_date": "1987-06-21"}
    refused = client.post(API, body, content_type="application/json")
    assert refused.status_code == 409
    assert [c["id"] for c in refused.json()["candidates"]] == [record.pk]
    assert Patient.objects.count() == 1
    confirmed = client.post(
        API, {**body, "confirm_not_duplicate": True}, content_type="application/json"
    )
    assert confirmed.status_code == 201
    assert Patient.objects.count() == 2


def test_another_birth_date_or_another_first_name_is_no_candidate(client_for: ClientFor) -> None:
    existing()
    client = client_for("accueil")
    other_day = {**form_data(), "birth_date": "1987-06-22"}
    assert client.post(reverse("patients:create"), other_day).status_code == 302
    other_name = form_data(first_name="Amina")
    assert client.post(reverse("patients:create"), other_name).status_code == 302
    assert Patient.objects.count() == 3


def test_the_registered_pair_reaches_the_directors_page(client_for: ClientFor) -> None:
    record = existing()
    client_for("accueil").post(reverse("patients:create"), {**form_data(), "not_a_duplicate": "on"})
    created = Patient.objects.exclude(pk=record.pk).get()
    response = client_for("direction").get(reverse("patients:duplicates"))
    pairs = response.context["pairs"]
    assert [(p.first.pk, p.second.pk) for p in pairs] == [(record.pk, created.pk)]
    html = response.content.decode()
    assert reverse("patients:merge", args=[record.pk, created.pk]) in html
    # Shown, so journaled (both records).
    entry = AuditEntry.objects.filter(action="patient.duplicates").latest("id")
    assert [int(i) for i in entry.extra["ids"]] == [record.pk, created.pk]
