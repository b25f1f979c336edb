"""API v1: consultation types, slots, appointments (201 / 409 with a French message, filters,
transitions) and the OpenAPI schema."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, ConsultationType, Status
from centre.models import Profession, Site, StaffProfile, User
from tests.appointments.factories import (
    ConsultationTypeFactory,
    PatientFactory,
    appointment,
    open_plages,
    paris,
    practitioner,
    weekly,
)

pytestmark = pytest.mark.django_db


def _open_practitioner(site: Site) -> StaffProfile:
    profile = practitioner(site=site)
    open_plages(profile, site)
    return profile


def _payload(site: Site, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "patient": PatientFactory().pk,
        "practitioner": _open_practitioner(site).pk,
        "consultation_type": ConsultationTypeFactory().pk,
        "site": site.pk,
        "start": "2030-03-04T09:00:00+01:00",
        "interpreter_language": "ar",
    }
    data.update(overrides)
    return data


def test_create_201_then_409_in_french(
    site: Site, client_for: Callable[[str | None], Client]
) -> None:
    client = client_for("accueil")
    url = reverse("api:appointments")
    data = _payload(site)
    response = client.post(url, data, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["start"] == "2030-03-04T09:00:00+01:00"
    assert body["end"] == "2030-03-04T09:20:00+01:00"
    assert body["status"] == "booked"
    assert body["interpreter_language"] == "ar"
    assert set(body) >= {
        "patient",
        "practitioner",
        "consultation_type",
        "site",
        "start",
        "end",
        "status",
        "interpreter_language",
    }
    data["patient"] = PatientFactory().pk
    data["start"] = "2030-03-04T08:10:00Z"  # 9:10 Paris: overlaps
    response = client.post(url, data, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["detail"] == "Ce créneau vient d'être pris : choisissez-en un autre."
    assert Appointment.objects.count() == 1


def test_create_400_with_field_messages(
    site: Site, client_for: Callable[[str | None], Client]
) -> None:
    response = client_for("accueil").post(
        reverse("api:appointments"),
        {"site": site.pk, "start": "demain"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert {"patient", "practitioner", "consultation_type", "start"} <= set(body)
    nurse = practitioner(site=site, profession=Profession.INFIRMIER)
    response = client_for("accueil").post(
        reverse("api:appointments"),
        _payload(site, practitioner=nurse.pk),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "ne correspond pas" in response.json()["consultation_type"][0]


@pytest.mark.parametrize("role", ["soignant", "mediation", "facturation", "direction"])
def test_only_reception_books(
    role: str, site: Site, client_for: Callable[[str | None], Client]
) -> None:
    response = client_for(role).post(
        reverse("api:appointments"), _payload(site), content_type="application/json"
    )
    assert response.status_code == 403


def test_list_filters(
    site: Site, other_site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    doctor = practitioner(site=site)
    patient = PatientFactory()
    a = appointment(
        practitioner=doctor,
        site=site,
        start=paris(2030, 3, 4, 9),
        booked_by=staff["accueil"],
        patient=patient,
    )
    appointment(
        practitioner=doctor, site=site, start=paris(2030, 3, 5, 9), booked_by=staff["accueil"]
    )
    appointment(
        practitioner=practitioner(site=other_site),
        site=other_site,
        start=paris(2030, 3, 4, 9),
        booked_by=staff["accueil"],
    )
    client = client_for("facturation")
    url = reverse("api:appointments")

    def ids(**params: object) -> list[int]:
        response = client.get(url, params)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert len(ids()) == 3
    assert len(ids(day="2030-03-04")) == 2
    assert ids(day="2030-03-04", site=site.pk) == [a.pk]
    assert ids(patient=patient.pk) == [a.pk]
    assert len(ids(practitioner=doctor.pk)) == 2
    assert ids(status="seen") == []
    response = client.get(url, {"day": "04/03/2030", "status": "perdu"})
    assert response.status_code == 400
    assert set(response.json()) == {"day", "status"}


def test_practitioner_lists_only_own(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    own = appointment(
        practitioner=staff["soignant"].profile,
        site=site,
        start=paris(2030, 3, 4, 9),
        booked_by=staff["accueil"],
    )
    appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=paris(2030, 3, 4, 9),
        booked_by=staff["accueil"],
    )
    response = client_for("soignant").get(reverse("api:appointments"))
    assert [row["id"] for row in response.json()["results"]] == [own.pk]


@pytest.mark.usefixtures("daytime")
def test_transitions_via_api(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    past = appointment(
        practitioner=staff["soignant"].profile,
        site=site,
        start=timezone.now() - datetime.timedelta(minutes=30),
        booked_by=staff["accueil"],
    )
    soignant = client_for("soignant")
    assert (
        soignant.post(reverse("api:appointment-arrive", args=[past.pk])).json()["status"]
        == "arrived"
    )
    assert soignant.post(reverse("api:appointment-seen", args=[past.pk])).json()["status"] == "seen"
    response = soignant.post(reverse("api:appointment-arrive", args=[past.pk]))
    assert response.status_code == 409  # the appointment's state forbids it
    assert response.json()["kind"] == "conflict"
    assert response.json()["detail"].startswith("Impossible de noter l'arrivée")
    other = appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=timezone.now() - datetime.timedelta(minutes=30),
        booked_by=staff["accueil"],
    )
    reception = client_for("accueil")
    assert (
        reception.post(reverse("api:appointment-no-show", args=[other.pk])).json()["status"]
        == "no_show"
    )
    future = appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=paris(2030, 1, 7),
        booked_by=staff["accueil"],
    )
    response = reception.post(
        reverse("api:appointment-cancel", args=[future.pk]),
        {"by_patient": False},
        content_type="application/json",
    )
    assert response.json()["status"] == "cancelled"
    assert (
        reception.post(
            reverse("api:appointment-cancel", args=[future.pk]), {}, content_type="application/json"
        ).status_code
        == 400
    )
    future.refresh_from_db()
    assert future.status == Status.CANCELLED


def test_consultation_types_for_mediators_are_the_bookable_ones(
    client_for: Callable[[str | None], Client],
) -> None:
    ConsultationTypeFactory(label="Orientation", bookable_by_mediators=True)
    ConsultationTypeFactory(label="Interne", bookable_by_mediators=False)
    labels = [
        t["label"] for t in client_for("mediation").get(reverse("api:consultation-types")).json()
    ]
    assert labels == ["Orientation"]
    assert len(client_for("accueil").get(reverse("api:consultation-types")).json()) == 2
    assert ConsultationType.objects.count() == 2


def test_slots_api(
    site: Site, staff: dict[str, User], client_for: Callable[[str | None], Client]
) -> None:
    doctor = practitioner(site=site)
    weekly(doctor, site, 0, "09:00", "10:00")
    appointment(
        practitioner=doctor, site=site, start=paris(2030, 3, 4, 9, 20), booked_by=staff["accueil"]
    )
    ctype = ConsultationTypeFactory()
    response = client_for("accueil").get(
        reverse("api:slots"),
        {"type": ctype.pk, "from": "2030-03-04", "to": "2030-03-04", "site": site.pk},
    )
    assert response.status_code == 200
    assert response.json() == [
        {
            "start": "2030-03-04T09:00:00+01:00",
            "end": "2030-03-04T09:20:00+01:00",
            "practitioner": doctor.pk,
            "site": site.pk,
        },
        {
            "start": "2030-03-04T09:40:00+01:00",
            "end": "2030-03-04T10:00:00+01:00",
            "practitioner": doctor.pk,
            "site": site.pk,
        },
    ]
    bad = client_for("accueil").get(
        reverse("api:slots"), {"type": ctype.pk, "from": "2030-03-04", "to": "2030-01-01"}
    )
    assert bad.status_code == 400
    assert "to" in bad.json()
    assert client_for("accueil").get(reverse("api:slots")).json()["type"] == [
        "Le motif est requis."
    ]


def test_openapi_documents_the_endpoints(client_for: Callable[[str | None], Client]) -> None:
    response = client_for("direction").get(reverse("api_schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json() if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    for path in (
        "/api/v1/appointments/",
        "/api/v1/slots/",
        "/api/v1/consultation-types/",
        "/api/v1/appointments/{id}/no-show/",
    ):
        assert path in text
    assert "409" in text
    del schema
