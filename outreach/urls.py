from django.urls import path

from outreach import views

urlpatterns = [
    path("", views.permanence_day, name="outreach_day"),
    path("calendrier/", views.permanence_calendar, name="outreach_calendar"),
    path("programme.pdf", views.permanence_programme_pdf, name="outreach_programme_pdf"),
    path("permanences/nouvelle/", views.permanence_new, name="outreach_permanence_new"),
    path("permanences/<int:pk>/", views.permanence_detail, name="outreach_permanence"),
    path(
        "permanences/<int:pk>/annuler/", views.permanence_cancel, name="outreach_permanence_cancel"
    ),
    path("entretiens/nouveau/", views.session_new, name="outreach_session_new"),
    path("entretiens/<int:pk>/", views.session_detail, name="outreach_session"),
    path("entretiens/<int:pk>/modifier/", views.session_edit, name="outreach_session_edit"),
    path(
        "entretiens/<int:pk>/suivi-fait/",
        views.session_followup_done,
        name="outreach_session_followup_done",
    ),
    path("recherche-patient/", views.patient_search, name="outreach_patient_search"),
    path("suivis/", views.followups, name="outreach_followups"),
    path("accueil-mediation/", views.home_panel, name="outreach_home_panel"),
    path("personnes/<int:pk>/", views.person_detail, name="outreach_person"),
    path("personnes/<int:pk>/rattacher/", views.person_link, name="outreach_person_link"),
    path("dossiers/<int:pk>/etape/", views.file_advance, name="outreach_file_advance"),
    path("lieux/", views.place_list, name="outreach_places"),
    path("lieux/nouveau/", views.place_new, name="outreach_place_new"),
    path("lieux/<int:pk>/modifier/", views.place_edit, name="outreach_place_edit"),
    path("actions-collectives/", views.collective_action_list, name="outreach_collective_actions"),
    path(
        "actions-collectives/nouvelle/",
        views.collective_action_new,
        name="outreach_collective_action_new",
    ),
    path(
        "actions-collectives/<int:pk>/modifier/",
        views.collective_action_edit,
        name="outreach_collective_action_edit",
    ),
    path(
        "actions-collectives/<int:pk>/presents/",
        views.collective_action_attendance,
        name="outreach_collective_action_attendance",
    ),
    path(
        "actions-collectives/<int:pk>/emargement/",
        views.collective_action_sign_in_sheet,
        name="outreach_collective_action_sign_in",
    ),
    path("orientations/", views.referral_queue, name="outreach_referral_queue"),
    path("orientations/<int:pk>/programmer/", views.referral_book, name="outreach_referral_book"),
    path(
        "orientations/<int:pk>/refuser/", views.referral_decline, name="outreach_referral_decline"
    ),
    path("orientations/<int:pk>/annuler/", views.referral_cancel, name="outreach_referral_cancel"),
    path("orientations/<int:pk>/suite/", views.referral_outcome, name="outreach_referral_outcome"),
    path("indicateurs/", views.indicator_page, name="outreach_indicators"),
]
