from __future__ import annotations

from django.core import mail
from django.test import Client

from centre.models import AuditEntry, StaffProfile, User
from tests.factories import make_staff


def test_role_homes_are_in_french_with_the_date(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for("accueil").get("/accueil/")
    html = response.content.decode()
    assert '<html lang="fr" class="no-js">' in html
    assert "Aller au contenu" in html
    assert 'id="contenu"' in html
    # French long date: weekday and month in French.
    assert any(
        day in html
        for day in ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    )


def test_security_headers(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for("accueil").get("/accueil/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    html = response.content.decode()
    assert "<script>" not in html  # no inline script anywhere in the layout
    assert "/static/django_htmx/htmx" in html  # htmx is served by the app itself


def test_custom_404_is_in_french(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for("accueil").get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


def test_403_page_explains_in_french(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for("accueil").get("/direction/")
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_navigation_follows_the_role(client_for) -> None:  # type: ignore[no-untyped-def]
    director_html = client_for("direction").get("/direction/").content.decode()
    reception_html = client_for("accueil").get("/accueil/").content.decode()
    assert "Journal d&#x27;audit" in director_html or "Journal d'audit" in director_html
    assert "/direction/journal/" not in reception_html


def test_director_invites_a_practitioner(  # type: ignore[no-untyped-def]
    client_for, centre, site, django_capture_on_commit_callbacks
) -> None:
    client = client_for("direction")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/direction/equipe/inviter/",
            {
                "first_name": "Inès",
                "last_name": "Carpentier",
                "email": "Ines.Carpentier@Test.fr",
                "roles": ["soignant"],
                "sites": [site.pk],
                "profession": "infirmier",
                "rpps": "10000000009",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="ines.carpentier@test.fr")
    assert not user.has_usable_password()
    assert user.roles == frozenset({"soignant"})
    assert user.profile.rpps == "10000000009"
    assert list(user.profile.sites.all()) == [site]
    entry = AuditEntry.objects.get(action="staff.invite")
    assert entry.changes["roles"] == [None, ["soignant"]]
    # The invitation is a single-use link to choose a password.
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ines.carpentier@test.fr"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_invitation_refuses_bad_rpps_and_saves_nothing(client_for, site) -> None:  # type: ignore[no-untyped-def]
    response = client_for("direction").post(
        "/direction/equipe/inviter/",
        {
            "first_name": "Inès",
            "last_name": "Carpentier",
            "email": "ines@test.fr",
            "roles": ["soignant"],
            "profession": "infirmier",
            "rpps": "10000000008",
        },
    )
    assert response.status_code == 200
    assert "Le numéro RPPS est invalide" in response.content.decode()
    assert not User.objects.filter(email="ines@test.fr").exists()
    assert not AuditEntry.objects.filter(action="staff.invite").exists()
    assert mail.outbox == []


def test_invitation_refuses_a_duplicate_email(client_for, staff) -> None:  # type: ignore[no-untyped-def]
    response = client_for("direction").post(
        "/direction/equipe/inviter/",
        {
            "first_name": "X",
            "last_name": "Y",
            "email": staff["accueil"].email.upper(),
            "roles": ["accueil"],
        },
    )
    assert response.status_code == 200
    assert "existe déjà" in response.content.decode()
    assert StaffProfile.objects.count() == len(staff)  # nothing created


def test_director_deactivates_and_reactivates_with_audit(client_for, staff) -> None:  # type: ignore[no-untyped-def]
    target = staff["accueil"]
    victim_client = Client()
    victim_client.force_login(target, backend="django.contrib.auth.backends.ModelBackend")
    director = client_for("direction")
    director.post(f"/direction/equipe/{target.pk}/actif/0/")
    target.refresh_from_db()
    assert target.is_active is False
    # The deactivated person's open session ends at once.
    assert victim_client.get("/accueil/").status_code == 302
    director.post(f"/direction/equipe/{target.pk}/actif/1/")
    target.refresh_from_db()
    assert target.is_active is True
    actions = list(
        AuditEntry.objects.filter(object_id=str(target.pk), action__startswith="staff.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["staff.deactivate", "staff.activate"]


def test_director_cannot_deactivate_herself(client_for, staff) -> None:  # type: ignore[no-untyped-def]
    director = staff["direction"]
    client_for("direction").post(f"/direction/equipe/{director.pk}/actif/0/")
    director.refresh_from_db()
    assert director.is_active is True


def test_staff_of_another_centre_cannot_be_toggled(client_for) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import CentreFactory

    stranger = make_staff("accueil", centre=CentreFactory(finess="860001008", name="Autre"))
    response = client_for("direction").post(f"/direction/equipe/{stranger.pk}/actif/0/")
    assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.is_active


def test_audit_journal_lists_entries_with_filter(client_for, staff) -> None:  # type: ignore[no-untyped-def]
    client = client_for("direction")
    client.post(f"/direction/equipe/{staff['accueil'].pk}/actif/0/")
    html = client.get("/direction/journal/?family=staff").content.decode()
    assert "staff.deactivate" in html and "Compte désactivé" in html
    assert "actif : oui → non" in html


def test_500_page_is_in_french_and_standalone(rf) -> None:  # type: ignore[no-untyped-def]
    from centre.views import error_500

    response = error_500(rf.get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Une erreur est survenue" in html
    assert "rien n'a été enregistré à moitié" in html


def test_a_field_help_text_is_announced_with_its_field() -> None:
    from django import forms
    from django.template.loader import render_to_string

    class Form(forms.Form):
        nir = forms.CharField(label="NIR", help_text="15 chiffres, sans espace.")

    html = render_to_string("partials/field.html", {"field": Form()["nir"]})
    assert 'aria-describedby="id_nir_helptext"' in html
    assert 'id="id_nir_helptext">15 chiffres, sans espace.</p>' in html
