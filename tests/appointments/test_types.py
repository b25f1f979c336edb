"""Consultation types managed by reception and direction (« Motifs de consultation »): list,
create, correct, deactivate / reactivate, delete an unused one, the API; audited, French
refusals, and what a deactivated type or a new duration does (and does not do) to bookings."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from appointments import forms
from appointments.models import Appointment, ConsultationType, Status, WaitingListEntry
from appointments.services import booking, consultation_types, moves, walk_ins
from centre.models import AuditEntry, Profession, Site, User
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
ClientFor = Callable[[str | None], Client]
MONDAY = datetime.date(2030, 3, 4)


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "label": "Bilan de santé",
        "profession": Profession.GENERALISTE,
        "duration_minutes": "30",
        "colour": "green",
        "bookable_by_mediators": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _page(response: Any) -> str:
    return str(response.content.decode())


# --- list -------------------------------------------------------------------------------------


def test_list_groups_by_profession_with_usage_in_a_fixed_number_of_queries(
    client_for: ClientFor,
    site: Site,
    staff: dict[str, User],
    django_assert_num_queries: Any,
) -> None:
    doctor = practitioner(site=site)
    general = ConsultationTypeFactory(colour="green")
    ConsultationTypeFactory(
        label="Suivi de grossesse",
        profession=Profession.SAGE_FEMME,
        duration_minutes=45,
        needs_interpreter_slot=True,
        bookable_by_mediators=False,
        is_active=False,
    )
    unused = ConsultationTypeFactory(label="Motif jamais servi")
    now = timezone.now()
    for days, state in ((-400, Status.SEEN), (-30, Status.SEEN), (-20, Status.CANCELLED)):
        appointment(
            practitioner=doctor,
            site=site,
            start=now + datetime.timedelta(days=days),
            booked_by=staff["accueil"],
            consultation_type=general,
            status=state,
        )
    for days in (3, 4):
        appointment(
            practitioner=doctor,
            site=site,
            start=now + datetime.timedelta(days=days),
            booked_by=staff["accueil"],
            consultation_type=general,
        )
    client = client_for("direction")
    client.get(reverse("appointments:types"))  # warm the session
    # session, user, groups, second factor check (direction), the types, their usage (one
    # query grouped by type, whatever the number of appointments), and the session save
    # (savepoint, update, release).
    with django_assert_num_queries(9):
        response = client.get(reverse("appointments:types"))
    page = _page(response)
    assert response.status_code == 200
    assert "<caption>Médecin généraliste</caption>" in page
    assert "<caption>Sage-femme</caption>" in page
    # The colour is a CSS class (no inline style under the CSP), with its name as text.
    assert '<span class="rdv rdv-colour-green">Vert</span>' in page
    assert "style=" not in page.split("<main", 1)[-1]
    row = page.split("Consultation de médecine générale</td>", 1)[1].split("</tr>", 1)[0]
    # One seen a month ago in the last 12 months (not the one 400 days ago, not the
    # cancelled one); two booked to come.
    assert '<td class="num">1</td>' in row and '<td class="num">2</td>' in row
    assert "Actif" in row and "Supprimer" not in row and "Désactiver" in row
    pregnancy = page.split("Suivi de grossesse</td>", 1)[1].split("</tr>", 1)[0]
    assert "45 min" in pregnancy and "Désactivé" in pregnancy and "Réactiver" in pregnancy
    assert reverse("appointments:type_delete", args=[unused.pk]) in page
    assert reverse("appointments:type_delete", args=[general.pk]) not in page
    assert 'data-confirm="Désactiver le motif' in page


def test_navigation_offers_types_to_reception_and_direction_only(client_for: ClientFor) -> None:
    url = reverse("appointments:types")
    for role in ("accueil", "direction"):
        assert f'href="{url}"' in _page(client_for(role).get(reverse("appointments:day")))
    assert f'href="{url}"' not in _page(client_for("soignant").get(reverse("appointments:day")))


# --- create, edit, validation ------------------------------------------------------------------


def test_reception_creates_a_type_audited(client_for: ClientFor, staff: dict[str, User]) -> None:
    response = client_for("accueil").post(reverse("appointments:type_create"), _form())
    assert response.status_code == 302
    assert response["Location"] == reverse("appointments:types")
    ctype = ConsultationType.objects.get(label="Bilan de santé")
    assert (ctype.profession, ctype.duration_minutes, ctype.colour) == (
        Profession.GENERALISTE,
        30,
        "green",
    )
    assert ctype.bookable_by_mediators and not ctype.needs_interpreter_slot and ctype.is_active
    entry = AuditEntry.objects.get(action="consultation_type.create")
    assert entry.actor_id == staff["accueil"].pk
    assert entry.object_id == str(ctype.pk)
    assert entry.changes["label"] == "Bilan de santé"
    assert entry.changes["duration_minutes"] == 30


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"label": "  CONSULTATION de médecine générale "},
            "label",
            "Un motif porte déjà ce libellé (les majuscules ne comptent pas)",
        ),
        ({"label": ""}, "label", "Ce champ est obligatoire."),
        ({"duration_minutes": "22"}, "duration_minutes", "doit être un multiple de 5 minutes"),
        ({"duration_minutes": "0"}, "duration_minutes", "comprise entre 5 et 240 minutes"),
        ({"duration_minutes": "245"}, "duration_minutes", "comprise entre 5 et 240 minutes"),
        ({"duration_minutes": "vingt"}, "duration_minutes", "Saisissez un nombre entier."),
        ({"profession": "chirurgien"}, "profession", "Sélectionnez un choix valide."),
        ({"colour": "fuchsia"}, "colour", "Sélectionnez un choix valide."),
    ],
)
def test_invalid_type_is_refused_in_french_and_nothing_is_saved(
    client_for: ClientFor, overrides: dict[str, str], field: str, message: str
) -> None:
    ConsultationTypeFactory()
    response = client_for("direction").post(reverse("appointments:type_create"), _form(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert f'id="id_{field}_errors" role="alert"' in _page(response)
    assert ConsultationType.objects.count() == 1
    assert not AuditEntry.objects.filter(action__startswith="consultation_type.").exists()


def test_edit_records_only_the_changed_fields_and_refuses_a_taken_label(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    ctype = ConsultationTypeFactory()
    ConsultationTypeFactory(label="Vaccination")
    client = client_for("direction")
    url = reverse("appointments:type_edit", args=[ctype.pk])
    form_page = _page(client.get(url))
    assert "ceux déjà pris gardent leur heure de début et de fin" in form_page
    assert 'value="Consultation de médecine générale"' in form_page
    refused = client.post(url, _form(label="vaccination", duration_minutes="20"))
    assert "Un motif porte déjà ce libellé" in " ".join(refused.context["form"].errors["label"])
    ctype.refresh_from_db()
    assert ctype.label == "Consultation de médecine générale"
    response = client.post(
        url,
        {
            "label": "Consultation de médecine générale",
            "profession": Profession.GENERALISTE,
            "duration_minutes": "25",
            "colour": "teal",
            "bookable_by_mediators": "on",
        },
    )
    assert response.status_code == 302
    ctype.refresh_from_db()
    assert (ctype.duration_minutes, ctype.colour) == (25, "teal")
    entry = AuditEntry.objects.get(action="consultation_type.update")
    assert entry.actor_id == staff["direction"].pk
    assert entry.changes == {"duration_minutes": [20, 25], "colour": ["blue", "teal"]}
    # Sending the same values again writes nothing.
    client.post(url, _form(label=ctype.label, duration_minutes="25", colour="teal"))
    assert AuditEntry.objects.filter(action="consultation_type.update").count() == 1


def test_a_new_duration_moves_no_existing_appointment(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    doctor = practitioner(site=site)
    open_plages(doctor, site)
    ctype = ConsultationTypeFactory()
    start = paris(2030, 3, 4, 10)
    booked = booking.appointment_book(
        patient=PatientFactory(),
        practitioner=doctor,
        consultation_type=ctype,
        site=site,
        start=start,
        by=staff["accueil"],
    )
    assert booked.end - booked.start == datetime.timedelta(minutes=20)
    response = client_for("accueil").post(
        reverse("appointments:type_edit", args=[ctype.pk]),
        _form(label=ctype.label, duration_minutes="40", colour="blue"),
        follow=True,
    )
    assert "Les 1 rendez-vous déjà prévus gardent leur horaire." in _page(response)
    booked.refresh_from_db()
    assert (booked.start, booked.end) == (start, start + datetime.timedelta(minutes=20))
    later = booking.appointment_book(
        patient=PatientFactory(),
        practitioner=doctor,
        consultation_type=ConsultationType.objects.get(pk=ctype.pk),
        site=site,
        start=start + datetime.timedelta(hours=1),
        by=staff["accueil"],
    )
    assert later.end - later.start == datetime.timedelta(minutes=40)


def test_a_used_type_keeps_its_profession_and_cannot_be_deleted(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    ctype = ConsultationTypeFactory()
    appointment(
        practitioner=practitioner(site=site),
        site=site,
        start=paris(2029, 5, 6, 9),
        booked_by=staff["accueil"],
        consultation_type=ctype,
        status=Status.SEEN,
    )
    client = client_for("accueil")
    refused = client.post(
        reverse("appointments:type_edit", args=[ctype.pk]),
        _form(label=ctype.label, profession=Profession.INFIRMIER, duration_minutes="20"),
    )
    assert "sa profession ne peut plus changer" in " ".join(
        refused.context["form"].errors["profession"]
    )
    response = client.post(reverse("appointments:type_delete", args=[ctype.pk]), follow=True)
    assert "il ne peut pas être supprimé. Désactivez-le plutôt." in _page(response)
    ctype.refresh_from_db()
    assert ctype.profession == Profession.GENERALISTE
    assert not AuditEntry.objects.filter(action__startswith="consultation_type.").exists()


def test_an_unused_type_is_deleted_audited(client_for: ClientFor) -> None:
    ctype = ConsultationTypeFactory(label="Doublon par erreur")
    response = client_for("direction").post(reverse("appointments:type_delete", args=[ctype.pk]))
    assert response.status_code == 302
    assert not ConsultationType.objects.filter(pk=ctype.pk).exists()
    entry = AuditEntry.objects.get(action="consultation_type.delete")
    assert entry.object_id == str(ctype.pk)
    assert entry.changes["label"] == ["Doublon par erreur", None]


def test_a_type_on_the_waiting_list_is_not_deleted(
    client_for: ClientFor, staff: dict[str, User]
) -> None:
    ctype = ConsultationTypeFactory(label="Attendu")
    WaitingListEntry.objects.create(
        patient=PatientFactory(), consultation_type=ctype, created_by=staff["accueil"]
    )
    response = client_for("accueil").post(
        reverse("appointments:type_delete", args=[ctype.pk]), follow=True
    )
    assert consultation_types.USED_CANNOT_DELETE in response.content.decode().replace("&#x27;", "'")
    assert ConsultationType.objects.filter(pk=ctype.pk).exists()
    assert not AuditEntry.objects.filter(action="consultation_type.delete").exists()


def test_the_database_refuses_a_label_differing_only_by_case(staff: dict[str, User]) -> None:
    """Two people creating the same type at once both pass the service's check: the
    database constraint refuses the second, with the same message (never a 500)."""
    ConsultationTypeFactory(label="Vaccination")
    with (
        mock.patch.object(consultation_types, "_validate", return_value={}),
        pytest.raises(consultation_types.ConsultationTypeInvalid) as refused,
    ):
        consultation_types.consultation_type_create(
            label="VACCINATION",
            profession=Profession.INFIRMIER,
            duration_minutes=15,
            by=staff["accueil"],
        )
    assert refused.value.errors == {"label": [consultation_types.LABEL_TAKEN]}
    assert ConsultationType.objects.count() == 1


# --- deactivate / reactivate -------------------------------------------------------------------


def test_deactivated_type_is_no_longer_offered_but_appointments_keep_it(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    from outreach.forms import SessionForm

    doctor = practitioner(site=site)
    weekly(doctor, site, 0, "09:00", "12:00")
    ctype = ConsultationTypeFactory()
    kept = appointment(
        practitioner=doctor,
        site=site,
        start=paris(2030, 3, 4, 9, 0),
        booked_by=staff["accueil"],
        consultation_type=ctype,
    )
    reception = client_for("accueil")
    page = _page(
        reception.post(reverse("appointments:type_deactivate", args=[ctype.pk]), follow=True)
    )
    assert "désactivé : il n&#x27;est plus proposé à la prise de rendez-vous" in page
    assert "Les 1 rendez-vous déjà prévus sont maintenus." in page
    entry = AuditEntry.objects.get(action="consultation_type.deactivate")
    assert entry.changes == {"is_active": [True, False]}
    assert entry.extra == {"upcoming_appointments": 1}

    # Booking forms (booking, walk-in, waiting list) no longer list it, and refuse it.
    for form_class in (forms.BookingForm, forms.WalkInForm, forms.WaitingListForm):
        assert ctype not in form_class().fields["consultation_type"].queryset  # type: ignore[attr-defined]
    refused = reception.post(
        reverse("appointments:book"),
        {
            "patient": PatientFactory().pk,
            "consultation_type": ctype.pk,
            "practitioner": doctor.pk,
            "site": site.pk,
            "date": "2030-03-04",
            "time": "10:00",
        },
    )
    assert "consultation_type" in refused.context["form"].errors
    with pytest.raises(booking.BookingError, match=r"Ce motif n'est plus proposé\."):
        booking.appointment_book(
            patient=PatientFactory(),
            practitioner=doctor,
            consultation_type=ConsultationType.objects.get(pk=ctype.pk),
            site=site,
            start=paris(2030, 3, 4, 10, 0),
            by=staff["accueil"],
        )
    # Slot search: the next-slot page, the day view's type and the API refuse it.
    assert (
        "type"
        in reception.get(reverse("appointments:next_slot"), {"type": ctype.pk})
        .context["form"]
        .errors
    )
    day = reception.get(
        reverse("appointments:day"), {"site": site.pk, "date": "2030-03-04", "type": ctype.pk}
    )
    assert day.context["consultation_type"] is None
    slots = reception.get(
        reverse("api:slots"), {"type": ctype.pk, "from": "2030-03-04", "to": "2030-03-04"}
    )
    assert slots.status_code == 400
    assert slots.json()["type"] == ["Motif inconnu."]
    # The mediators' referral choices and their API list.
    assert ctype not in SessionForm().fields["referral_consultation_type"].queryset  # type: ignore[attr-defined]
    assert client_for("mediation").get(reverse("api:consultation-types")).json() == []

    # The appointment already made keeps its type, its times, and can still be moved.
    kept.refresh_from_db()
    assert kept.consultation_type_id == ctype.pk
    assert kept.status == Status.BOOKED
    assert "Consultation de médecine générale" in _page(
        reception.get(reverse("appointments:detail", args=[kept.pk]))
    )
    moved = moves.appointment_move(
        appointment=kept, start=paris(2030, 3, 4, 11, 0), by=staff["accueil"]
    )
    assert moved.consultation_type_id == ctype.pk

    # Reactivated, it is offered again.
    reception.post(reverse("appointments:type_reactivate", args=[ctype.pk]))
    assert ctype in forms.BookingForm().fields["consultation_type"].queryset  # type: ignore[attr-defined]
    assert ctype in SessionForm().fields["referral_consultation_type"].queryset  # type: ignore[attr-defined]
    assert AuditEntry.objects.get(action="consultation_type.reactivate").changes == {
        "is_active": [False, True]
    }
    assert Appointment.objects.count() == 1


# --- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["soignant", "facturation", "mediation", "collecte"])
def test_other_roles_cannot_manage_types(client_for: ClientFor, role: str) -> None:
    ctype = ConsultationTypeFactory()
    client = client_for(role)
    assert client.get(reverse("appointments:types")).status_code == 403
    assert client.post(reverse("appointments:type_create"), _form()).status_code == 403
    edit = reverse("appointments:type_edit", args=[ctype.pk])
    assert client.post(edit, _form(label="Piraté")).status_code == 403
    for name in ("type_deactivate", "type_delete"):
        assert client.post(reverse(f"appointments:{name}", args=[ctype.pk])).status_code == 403
    api = client.post(
        reverse("api:consultation-types"),
        {"label": "Piraté", "profession": Profession.GENERALISTE, "duration_minutes": 20},
        content_type="application/json",
    )
    assert api.status_code == 403
    patch = client.patch(
        reverse("api:consultation-type-detail", args=[ctype.pk]),
        {"is_active": False},
        content_type="application/json",
    )
    assert patch.status_code == 403
    ctype.refresh_from_db()
    assert ctype.label == "Consultation de médecine générale" and ctype.is_active
    assert ConsultationType.objects.count() == 1


# --- API ---------------------------------------------------------------------------------------


def test_api_creates_and_corrects_a_type(client_for: ClientFor, staff: dict[str, User]) -> None:
    client = client_for("direction")
    created = client.post(
        reverse("api:consultation-types"),
        {"label": "Entretien diététique", "profession": "dieteticien", "duration_minutes": 45},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["label"] == "Entretien diététique"
    assert (body["colour"], body["is_active"], body["bookable_by_mediators"]) == (
        "blue",
        True,
        False,
    )
    url = reverse("api:consultation-type-detail", args=[body["id"]])
    patched = client.patch(
        url, {"duration_minutes": 30, "is_active": False}, content_type="application/json"
    )
    assert patched.status_code == 200
    assert (patched.json()["duration_minutes"], patched.json()["is_active"]) == (30, False)
    entry = AuditEntry.objects.get(action="consultation_type.update")
    assert entry.actor_id == staff["direction"].pk
    assert entry.changes == {"duration_minutes": [45, 30], "is_active": [True, False]}
    # Deactivated: out of the list, unless reception or direction asks for it.
    assert client.get(reverse("api:consultation-types")).json() == []
    listed = client.get(reverse("api:consultation-types"), {"include_inactive": "true"}).json()
    assert [t["id"] for t in listed] == [body["id"]]
    assert (
        client_for("soignant")
        .get(reverse("api:consultation-types"), {"include_inactive": "true"})
        .json()
        == []
    )
    assert client.get(url).json()["is_active"] is False
    assert client_for("soignant").get(url).status_code == 404


def test_api_refusals_are_french_and_per_field(client_for: ClientFor) -> None:
    ctype = ConsultationTypeFactory()
    client = client_for("accueil")
    taken = client.post(
        reverse("api:consultation-types"),
        {
            "label": "consultation DE médecine générale",
            "profession": "infirmier",
            "duration_minutes": 22,
        },
        content_type="application/json",
    )
    assert taken.status_code == 400
    assert taken.json() == {
        "label": [consultation_types.LABEL_TAKEN],
        "duration_minutes": ["La durée doit être un multiple de 5 minutes (ex. : 15, 20, 30)."],
    }
    url = reverse("api:consultation-type-detail", args=[ctype.pk])
    too_long = client.patch(url, {"duration_minutes": 300}, content_type="application/json")
    assert too_long.json() == {
        "duration_minutes": ["La durée doit être comprise entre 5 et 240 minutes."]
    }
    unknown = client.patch(url, {"id": 99, "label": "X"}, content_type="application/json")
    assert unknown.status_code == 400
    assert unknown.json() == {"id": [consultation_types.NOT_EDITABLE]}
    bad_choice = client.patch(url, {"colour": "fuchsia"}, content_type="application/json")
    assert bad_choice.status_code == 400
    assert "n'est pas un choix valide" in bad_choice.json()["colour"][0].replace("’", "'")
    ctype.refresh_from_db()
    assert (ctype.label, ctype.duration_minutes, ctype.colour) == (
        "Consultation de médecine générale",
        20,
        "blue",
    )
    assert not AuditEntry.objects.filter(action__startswith="consultation_type.").exists()


def test_openapi_documents_the_type_writes(client_for: ClientFor) -> None:
    response = client_for("direction").get(reverse("api_schema"), HTTP_ACCEPT="application/json")
    text = response.content.decode()
    assert "/api/v1/consultation-types/{id}/" in text
    assert "Créer un motif de consultation" in text
    assert "Corriger, désactiver ou réactiver un motif de consultation" in text


def test_a_type_deactivated_while_the_booking_form_was_open_is_refused(
    site: Site, staff: dict[str, User]
) -> None:
    doctor = practitioner(site=site)
    weekly(doctor, site, 0, "09:00", "12:00")
    ctype = ConsultationTypeFactory()  # the object the booking form loaded: still active
    consultation_types.consultation_type_set_active(
        consultation_type=ConsultationType.objects.get(pk=ctype.pk),
        active=False,
        by=staff["accueil"],
    )
    assert ctype.is_active
    with pytest.raises(booking.BookingError, match="Ce motif n'est plus proposé"):
        booking.appointment_book(
            patient=PatientFactory(),
            practitioner=doctor,
            consultation_type=ctype,
            site=site,
            start=paris(2030, 3, 4, 9, 0),
            by=staff["accueil"],
        )
    with pytest.raises(booking.BookingError, match="Ce motif n'est plus proposé"):
        walk_ins.appointment_record_walk_in(
            patient=PatientFactory(),
            practitioner=doctor,
            consultation_type=ctype,
            site=site,
            by=staff["accueil"],
        )
    assert not Appointment.objects.exists()
