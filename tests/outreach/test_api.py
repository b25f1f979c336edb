from __future__ import annotations

import datetime
from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from centre.models import Site, User
from outreach.models import RightsSession
from tests.outreach.factories import (
    CollectiveActionFactory,
    PermanenceFactory,
    PlaceFactory,
    ReferralFactory,
    SessionFactory,
)

ClientFor = Callable[[str | None], Client]
BASE = "/api/v1/outreach"


def test_session_create_and_filter(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    perm = PermanenceFactory(place__site=site, mediator=staff["mediation"])
    client = client_for("mediation")
    day = timezone.localtime(perm.start).date()
    response = client.post(
        f"{BASE}/sessions/",
        {
            "anonymous": {"sex": "F", "age_band": "18_25", "in_qpv": "oui"},
            "held_on": day.isoformat(),
            "permanence": perm.pk,
            "topics": ["ame", "medecin_traitant"],
            "interpreting": "pro_telephone",
            "interpreter_language": "ps",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["topics"] == ["ame", "medecin_traitant"] and body["patient"] is None
    SessionFactory(place__site=site, topics=["c2s"], held_on=day - datetime.timedelta(days=40))
    listed = client.get(f"{BASE}/sessions/", {"topic": "ame"}).json()
    assert [s["id"] for s in listed["results"]] == [body["id"]]
    listed = client.get(f"{BASE}/sessions/", {"from": day.isoformat()}).json()
    assert listed["count"] == 1
    listed = client.get(f"{BASE}/sessions/", {"place": perm.place_id}).json()
    assert listed["count"] == 1
    # Direction reads, cannot write.
    assert client_for("direction").get(f"{BASE}/sessions/").status_code == 200
    assert (
        client_for("direction")
        .post(f"{BASE}/sessions/", {}, content_type="application/json")
        .status_code
        == 403
    )


def test_bad_session_input_gives_french_400_and_saves_nothing(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    perm = PermanenceFactory(place__site=site, mediator=staff["mediation"])
    day = timezone.localtime(perm.start).date()
    response = client_for("mediation").post(
        f"{BASE}/sessions/",
        {
            "anonymous": {"sex": "M"},
            "held_on": day.isoformat(),
            "permanence": perm.pk,
            "topics": ["c2s", "loterie"],
            "followup_on": (day - datetime.timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert errors["topics"] == ["Sujet inconnu : loterie."]
    assert errors["followup_on"] == ["La date de suivi ne peut pas être dans le passé."]
    assert RightsSession.objects.count() == 0
    bad = client_for("mediation").get(f"{BASE}/sessions/", {"from": "hier"})
    assert bad.status_code == 400
    assert bad.json() == {"from": ["Date attendue au format AAAA-MM-JJ."]}


def test_permanence_series_via_api(
    client_for: ClientFor, site: Site, staff: dict[str, User]
) -> None:
    place = PlaceFactory(site=site)
    response = client_for("mediation").post(
        f"{BASE}/permanences/",
        {
            "place": place.pk,
            "mediator": staff["mediation"].pk,
            "first_day": "2026-12-01",
            "start_time": "14:00",
            "end_time": "17:00",
            "every_weeks": 2,
            "until": "2026-12-31",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert len(response.json()) == 3  # 1, 15 and 29 December
    listed = client_for("direction").get(f"{BASE}/permanences/", {"from": "2026-12-10"}).json()
    assert listed["count"] == 2
    bad = client_for("mediation").post(
        f"{BASE}/permanences/",
        {
            "place": place.pk,
            "mediator": staff["mediation"].pk,
            "first_day": "2026-12-01",
            "start_time": "17:00",
            "end_time": "14:00",
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["end_time"] == ["L'heure de fin doit être après l'heure de début."]


def test_referrals_reception_sees_only_centre(client_for: ClientFor, site: Site) -> None:
    ReferralFactory(site=site)
    ReferralFactory(site=site, target="cpam")
    assert client_for("accueil").get(f"{BASE}/referrals/").json()["count"] == 1
    assert client_for("mediation").get(f"{BASE}/referrals/").json()["count"] == 2
    assert client_for("soignant").get(f"{BASE}/referrals/").status_code == 403


def test_places_and_collective_actions(client_for: ClientFor, site: Site) -> None:
    CollectiveActionFactory(place__site=site)
    assert client_for("direction").get(f"{BASE}/collective-actions/").json()["count"] == 1
    response = client_for("mediation").post(
        f"{BASE}/places/",
        {"name": "Foyer Adoma", "kind": "foyer", "site": site.pk, "in_qpv": True},
        content_type="application/json",
    )
    assert response.status_code == 201
    again = client_for("mediation").post(
        f"{BASE}/places/",
        {"name": "foyer adoma", "kind": "foyer", "site": site.pk},
        content_type="application/json",
    )
    assert again.json() == {"name": ["Un lieu porte déjà ce nom."]}


def test_openapi_documents_outreach(client_for: ClientFor) -> None:
    schema = client_for("direction").get("/api/schema/", {"format": "json"}).json()
    for path in ("places", "permanences", "sessions", "referrals", "collective-actions"):
        assert f"/api/v1/outreach/{path}/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/v1/outreach/sessions/"]["get"]["parameters"]}
    assert {"from", "to", "place", "mediator", "topic"} <= params
