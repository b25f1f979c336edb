"""Cancelling a permanence (or it and the following ones of its series): the service, the
page, the API, and how a cancelled permanence shows on the day view, the calendar and the
printed programme.

Rule (outreach/perms.py): any mediator, not only the permanence's own (a colleague cancels
for a sick one); the direction reads and writes nothing; the other roles see no permanence.
Refused: already cancelled, over, sessions entered. Nothing else points at a permanence
(referrals and appointments hang on its sessions).
"""

from __future__ import annotations

import datetime
import html
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from centre.models import AuditEntry, Site, User
from centre.roles import Role
from outreach.models import Permanence, Place
from outreach.services import permanences, sessions
from outreach.services.base import OutreachError
from tests.factories import make_staff
from tests.outreach.factories import PermanenceFactory, PlaceFactory, SessionFactory, paris

ClientFor = Callable[[str | None], Client]
TODAY = timezone.localdate()
NEXT_WEEK = TODAY + datetime.timedelta(days=7)
ROLES = [r.value for r in Role]
REASON = "Locaux du partenaire fermés"


@pytest.fixture
def place(site: Site) -> Place:
    return PlaceFactory(site=site, name="Centre social des Trois-Cités")


@pytest.fixture
def colleague(site: Site) -> User:
    """The mediator who holds the permanences (the one who falls ill); `staff["mediation"]`
    cancels for them."""
    return make_staff("mediation", centre=site.centre, sites=[site])


@pytest.fixture
def permanence(place: Place, colleague: User) -> Permanence:
    return PermanenceFactory(
        place=place, mediator=colleague, start=paris(NEXT_WEEK, 14), end=paris(NEXT_WEEK, 17)
    )


@pytest.fixture
def series(place: Place, colleague: User, staff: dict[str, User]) -> list[Permanence]:
    """Four weekly occurrences from next week."""
    return permanences.permanence_schedule(
        by=staff["mediation"],
        place=place,
        mediator=colleague,
        first_day=NEXT_WEEK,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
        every_weeks=1,
        until=NEXT_WEEK + datetime.timedelta(weeks=3),
    )


def _past(place: Place, colleague: User) -> Permanence:
    day = TODAY - datetime.timedelta(days=2)
    return PermanenceFactory(
        place=place, mediator=colleague, start=paris(day, 14), end=paris(day, 17)
    )


def _cancelled_ids() -> set[int]:
    return set(Permanence.objects.filter(is_cancelled=True).values_list("pk", flat=True))


def _entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="outreach.permanence.cancel").order_by("pk"))


# --- Service --------------------------------------------------------------------------------


def test_cancel_one_records_the_reason_and_journals_it(
    permanence: Permanence, staff: dict[str, User]
) -> None:
    done = permanences.permanence_cancel(
        by=staff["mediation"], permanence=permanence, reason=f"  {REASON} "
    )
    assert [p.pk for p in done] == [permanence.pk]
    permanence.refresh_from_db()
    assert permanence.is_cancelled and permanence.cancellation_reason == REASON
    [entry] = _entries()
    assert entry.actor == staff["mediation"] and entry.object_id == str(permanence.pk)
    assert entry.changes == {"is_cancelled": [False, True], "cancellation_reason": ["", REASON]}
    assert entry.extra == {"scope": "one", "requested_from": permanence.pk, "series": ""}


def test_cancel_following_cancels_this_and_the_later_ones_each_journaled(
    series: list[Permanence], staff: dict[str, User]
) -> None:
    first, second, third, fourth = series
    permanences.permanence_cancel(by=staff["mediation"], permanence=fourth, reason="Congés")
    done = permanences.permanence_cancel(
        by=staff["mediation"], permanence=second, scope="following", reason="Arrêt maladie"
    )
    # The fourth, already cancelled, keeps its own reason and is not journaled again.
    assert [p.pk for p in done] == [second.pk, third.pk]
    assert _cancelled_ids() == {second.pk, third.pk, fourth.pk}
    reasons = dict(Permanence.objects.values_list("pk", "cancellation_reason"))
    assert reasons == {
        first.pk: "",
        second.pk: "Arrêt maladie",
        third.pk: "Arrêt maladie",
        fourth.pk: "Congés",
    }
    entries = _entries()
    assert [e.object_id for e in entries] == [str(fourth.pk), str(second.pk), str(third.pk)]
    for entry in entries[1:]:
        assert entry.actor == staff["mediation"]
        assert entry.extra == {
            "scope": "following",
            "requested_from": second.pk,
            "series": str(first.series),
        }
        assert entry.changes["cancellation_reason"] == ["", "Arrêt maladie"]


def test_cancel_one_in_a_series_leaves_the_others(
    series: list[Permanence], staff: dict[str, User]
) -> None:
    permanences.permanence_cancel(by=staff["mediation"], permanence=series[1], scope="one")
    assert _cancelled_ids() == {series[1].pk}
    assert len(_entries()) == 1


def test_following_outside_a_series_cancels_that_one_only(
    permanence: Permanence, place: Place, colleague: User, staff: dict[str, User]
) -> None:
    later = PermanenceFactory(
        place=place,
        mediator=colleague,
        start=permanence.start + datetime.timedelta(days=7),
        end=permanence.end + datetime.timedelta(days=7),
    )
    permanences.permanence_cancel(by=staff["mediation"], permanence=permanence, scope="following")
    assert _cancelled_ids() == {permanence.pk} and later.pk not in _cancelled_ids()


def test_a_permanence_under_way_may_still_be_cancelled(
    permanence: Permanence, staff: dict[str, User]
) -> None:
    during = permanence.start + datetime.timedelta(hours=1)
    permanences.permanence_cancel(by=staff["mediation"], permanence=permanence, now=during)
    assert _cancelled_ids() == {permanence.pk}


def _refusal(permanence: Permanence, by: User, **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(OutreachError) as caught:
        permanences.permanence_cancel(by=by, permanence=permanence, **kwargs)
    return caught.value.errors


def test_refusals_change_nothing(
    permanence: Permanence, place: Place, colleague: User, staff: dict[str, User]
) -> None:
    by = staff["mediation"]
    past = _past(place, colleague)
    assert _refusal(past, by) == {
        "": ["Cette permanence est passée : elle ne peut plus être annulée."]
    }
    # Just over: its end is the limit.
    assert _refusal(permanence, by, now=permanence.end) == {
        "": ["Cette permanence est passée : elle ne peut plus être annulée."]
    }
    assert "scope" in _refusal(permanence, by, scope="all")
    assert _refusal(permanence, by, reason="x" * 201) == {
        "reason": ["Le motif ne peut dépasser 200 caractères."]
    }
    SessionFactory(permanence=permanence, place=place, mediator=colleague)
    assert _refusal(permanence, by) == {
        "": ["Des entretiens sont saisis sur cette permanence : elle ne peut plus être annulée."]
    }
    assert _cancelled_ids() == set() and _entries() == []


def test_already_cancelled_is_refused(permanence: Permanence, staff: dict[str, User]) -> None:
    permanences.permanence_cancel(by=staff["mediation"], permanence=permanence, reason=REASON)
    stale = Permanence.objects.get(pk=permanence.pk)
    assert _refusal(stale, staff["mediation"], reason="Autre") == {
        "": ["Cette permanence est déjà annulée."]
    }
    # Refused even from an object loaded before the cancellation (the row is re-read).
    assert _refusal(permanence, staff["mediation"]) == {"": ["Cette permanence est déjà annulée."]}
    stale.refresh_from_db()
    assert stale.cancellation_reason == REASON and len(_entries()) == 1


def test_sessions_on_a_later_occurrence_refuse_the_whole_series(
    series: list[Permanence], colleague: User, staff: dict[str, User]
) -> None:
    # Not possible through the pages (no session is entered in advance); written directly
    # to check that nothing is half-cancelled.
    SessionFactory(permanence=series[2], place=series[2].place, mediator=colleague)
    day = timezone.localtime(series[2].start)
    assert _refusal(series[1], staff["mediation"], scope="following") == {
        "": [
            f"Des entretiens sont saisis sur des permanences de la série ({day:%d/%m/%Y}) : "
            "rien n'est annulé."
        ]
    }
    assert _cancelled_ids() == set() and _entries() == []


def test_no_session_is_logged_on_a_permanence_cancelled_meanwhile(
    place: Place, staff: dict[str, User]
) -> None:
    """The session form was opened before a colleague cancelled: `session_log` holds a stale
    permanence and must re-read it."""
    today = PermanenceFactory(place=place, mediator=staff["mediation"])
    stale = Permanence.objects.get(pk=today.pk)
    Permanence.objects.filter(pk=today.pk).update(is_cancelled=True)
    with pytest.raises(OutreachError) as caught:
        sessions.session_log(
            by=staff["mediation"],
            data=sessions.SessionInput(
                held_on=TODAY, topics=["c2s"], permanence=stale, place=place
            ),
            anonymous=sessions.AnonymousPerson(),
        )
    assert caught.value.errors == {"permanence": ["Cette permanence est annulée."]}
    assert not today.sessions.exists()


# --- Page -----------------------------------------------------------------------------------


def _page(client: Client, permanence: Permanence) -> str:
    return client.get(reverse("outreach_permanence", args=[permanence.pk])).content.decode()


def _cancel(client: Client, permanence: Permanence, **data: Any) -> Any:
    return client.post(
        reverse("outreach_permanence_cancel", args=[permanence.pk]), data, follow=True
    )


def test_a_colleague_cancels_from_the_permanence_page(
    client_for: ClientFor, permanence: Permanence, staff: dict[str, User]
) -> None:
    client = client_for("mediation")
    body = _page(client, permanence)
    action = reverse("outreach_permanence_cancel", args=[permanence.pk])
    assert f'action="{action}"' in body
    assert 'data-confirm="Annuler la permanence du' in body
    assert 'name="reason"' in body
    assert 'name="scope"' not in body  # not in a series

    response = _cancel(client, permanence, reason=REASON)
    assert response.redirect_chain == [(reverse("outreach_permanence", args=[permanence.pk]), 302)]
    body = html.unescape(response.content.decode())
    assert "Permanence annulée." in body
    assert "Annulée" in body and f"Motif de l'annulation : {REASON}" in body
    assert f'action="{action}"' not in body  # nothing left to cancel
    assert 'name="topics"' not in body  # no session on a cancelled permanence
    permanence.refresh_from_db()
    assert permanence.is_cancelled and permanence.cancellation_reason == REASON
    [entry] = _entries()
    assert entry.actor == staff["mediation"]


def test_page_cancels_one_or_the_following_of_a_series(
    client_for: ClientFor, series: list[Permanence]
) -> None:
    client = client_for("mediation")
    body = _page(client, series[1])
    assert 'name="scope" value="one"' in body and 'name="scope" value="following"' in body
    assert "Celle-ci et les suivantes de la série" in body

    response = _cancel(client, series[3], scope="one")
    assert "Permanence annulée." in response.content.decode()
    response = _cancel(client, series[1], scope="following", reason="Congés")
    last = timezone.localtime(series[2].start)
    body = html.unescape(response.content.decode())
    assert f"2 permanences annulées, jusqu'au {last:%d/%m/%Y}." in body
    assert _cancelled_ids() == {series[1].pk, series[2].pk, series[3].pk}
    assert len(_entries()) == 3


def test_page_refusals_say_why_in_french(
    client_for: ClientFor,
    permanence: Permanence,
    place: Place,
    colleague: User,
    staff: dict[str, User],
) -> None:
    client = client_for("mediation")
    past = _past(place, colleague)
    action = reverse("outreach_permanence_cancel", args=[past.pk])
    assert f'action="{action}"' not in _page(client, past)
    body = _cancel(client, past).content.decode()
    assert "Cette permanence est passée : elle ne peut plus être annulée." in body

    body = _cancel(client, permanence, reason="x" * 201).content.decode()
    assert "Rien n'est annulé : Assurez-vous que cette valeur comporte au plus 200" in (
        html.unescape(body)
    )

    held = PermanenceFactory(
        place=place, mediator=colleague, start=paris(NEXT_WEEK, 9), end=paris(NEXT_WEEK, 12)
    )
    SessionFactory(permanence=held, place=place, mediator=colleague)
    assert reverse("outreach_permanence_cancel", args=[held.pk]) not in _page(client, held)
    body = _cancel(client, held).content.decode()
    assert "Des entretiens sont saisis sur cette permanence" in body
    assert _cancelled_ids() == set() and _entries() == []

    permanences.permanence_cancel(by=staff["mediation"], permanence=permanence)
    body = _cancel(client, permanence, reason="Autre").content.decode()
    assert "Cette permanence est déjà annulée." in body
    assert len(_entries()) == 1


@pytest.mark.parametrize("role", ["direction", "accueil", "soignant", "facturation"])
def test_other_roles_cannot_cancel(
    role: str, client_for: ClientFor, permanence: Permanence
) -> None:
    client = client_for(role)
    url = reverse("outreach_permanence_cancel", args=[permanence.pk])
    assert client.post(url, {"reason": REASON}).status_code == 403
    if role == "direction":
        assert url not in _page(client, permanence)
    assert _cancelled_ids() == set() and _entries() == []


# --- API ------------------------------------------------------------------------------------


def _api(client: Client, permanence: Permanence, payload: dict[str, Any]) -> Any:
    return client.post(
        reverse("api:outreach-permanence-cancel", args=[permanence.pk]),
        payload,
        content_type="application/json",
    )


def test_api_cancels_one(client_for: ClientFor, permanence: Permanence) -> None:
    response = _api(client_for("mediation"), permanence, {"scope": "one", "reason": REASON})
    assert response.status_code == 200, response.json()
    [body] = response.json()
    assert body["id"] == permanence.pk
    assert body["is_cancelled"] is True and body["cancellation_reason"] == REASON
    assert _cancelled_ids() == {permanence.pk} and len(_entries()) == 1


def test_api_cancels_the_following(client_for: ClientFor, series: list[Permanence]) -> None:
    response = _api(client_for("mediation"), series[2], {"scope": "following"})
    assert response.status_code == 200, response.json()
    assert [p["id"] for p in response.json()] == [series[2].pk, series[3].pk]
    assert _cancelled_ids() == {series[2].pk, series[3].pk}
    assert [e.object_id for e in _entries()] == [str(series[2].pk), str(series[3].pk)]


def test_api_refusals_are_french_400s(
    client_for: ClientFor,
    permanence: Permanence,
    place: Place,
    colleague: User,
    staff: dict[str, User],
) -> None:
    client = client_for("mediation")
    held = PermanenceFactory(
        place=place, mediator=colleague, start=paris(NEXT_WEEK, 9), end=paris(NEXT_WEEK, 12)
    )
    SessionFactory(permanence=held, place=place, mediator=colleague)
    cases: list[tuple[Permanence, dict[str, Any], dict[str, list[str]]]] = [
        (permanence, {}, {"scope": ["Ce champ est obligatoire."]}),
        (
            _past(place, colleague),
            {"scope": "one"},
            {"non_field_errors": ["Cette permanence est passée : elle ne peut plus être annulée."]},
        ),
        (
            held,
            {"scope": "following"},
            {
                "non_field_errors": [
                    "Des entretiens sont saisis sur cette permanence : elle ne peut plus "
                    "être annulée."
                ]
            },
        ),
    ]
    for target, payload, errors in cases:
        response = _api(client, target, payload)
        assert response.status_code == 400
        assert response.json() == errors
    response = _api(client, permanence, {"scope": "toutes"})
    assert response.status_code == 400 and "n'est pas un choix valide" in str(response.json())
    response = _api(client, permanence, {"scope": "one", "reason": "x" * 201})
    assert response.status_code == 400
    assert response.json() == {
        "reason": ["Assurez-vous que ce champ comporte au plus 200\xa0caractères."]
    }
    assert _cancelled_ids() == set() and _entries() == []

    permanences.permanence_cancel(by=staff["mediation"], permanence=permanence)
    response = _api(client, permanence, {"scope": "one"})
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Cette permanence est déjà annulée."]}


@pytest.mark.parametrize("role", [None, *ROLES])
def test_api_cancel_roles(role: str | None, client_for: ClientFor, permanence: Permanence) -> None:
    response = _api(client_for(role), permanence, {"scope": "one"})
    if role == "mediation":
        assert response.status_code == 200
        assert _cancelled_ids() == {permanence.pk}
    else:
        assert response.status_code in ((401, 403) if role is None else (403,))
        assert _cancelled_ids() == set() and _entries() == []


def test_openapi_documents_the_cancellation(client_for: ClientFor) -> None:
    schema = client_for("direction").get("/api/schema/", {"format": "json"}).json()
    operations = schema["paths"]["/api/v1/outreach/permanences/{id}/cancel/"]
    assert set(operations) - {"parameters"} == {"post"}
    post = operations["post"]
    assert post["summary"] == "Annuler une permanence (ou celle-ci et les suivantes de sa série)"
    assert set(post["responses"]) == {"200", "400", "401", "403", "404"}
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    request = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(request["properties"]) == {"scope", "reason"}
    assert request["required"] == ["scope"]


# --- Where a cancelled permanence shows -----------------------------------------------------


@pytest.fixture
def month(place: Place, colleague: User, staff: dict[str, User]) -> tuple[Permanence, Permanence]:
    """Two permanences next week, one cancelled with a reason."""
    kept = PermanenceFactory(
        place=PlaceFactory(site=place.site, name="Foyer Adoma"),
        mediator=colleague,
        start=paris(NEXT_WEEK, 9),
        end=paris(NEXT_WEEK, 12),
    )
    cancelled = PermanenceFactory(
        place=place, mediator=colleague, start=paris(NEXT_WEEK, 14), end=paris(NEXT_WEEK, 17)
    )
    permanences.permanence_cancel(by=staff["mediation"], permanence=cancelled, reason=REASON)
    return kept, cancelled


def test_day_view_shows_it_cancelled_with_the_reason(
    client_for: ClientFor, month: tuple[Permanence, Permanence]
) -> None:
    client = client_for("direction")
    body = client.get(reverse("outreach_day"), {"jour": NEXT_WEEK.isoformat()}).content.decode()
    assert body.count("Annulée") == 1
    assert f"Annulée — {REASON}" in body
    # Among the following days, too.
    day_before = NEXT_WEEK - datetime.timedelta(days=1)
    body = client.get(reverse("outreach_day"), {"jour": day_before.isoformat()}).content.decode()
    assert f'<span class="badge danger">Annulée</span> {REASON}' in body


def test_calendar_shows_it_cancelled_with_the_reason(
    client_for: ClientFor, month: tuple[Permanence, Permanence]
) -> None:
    kept, cancelled = month
    body = (
        client_for("mediation")
        .get(reverse("outreach_calendar"), {"mois": f"{NEXT_WEEK:%Y-%m}"})
        .content.decode()
    )
    url = reverse("outreach_permanence", args=[cancelled.pk])
    assert f'<a class="cal-item cancelled" href="{url}">' in body
    assert f"Annulée : {REASON}" in body
    assert body.count("Annulée") == 1
    assert f'<a class="cal-item" href="{reverse("outreach_permanence", args=[kept.pk])}">' in body


def test_programme_pdf_shows_it_cancelled_with_the_reason(
    client_for: ClientFor, month: tuple[Permanence, Permanence]
) -> None:
    response = client_for("direction").get(
        reverse("outreach_programme_pdf"), {"mois": f"{NEXT_WEEK:%Y-%m}"}
    )
    assert response.status_code == 200
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())
    assert "Foyer Adoma" in text
    assert f"Centre social des Trois-Cités Annulée ({REASON})" in text
    assert text.count("Annulée") == 1
