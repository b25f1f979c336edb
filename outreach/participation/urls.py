from django.urls import path

from outreach.participation import views

app_name = "participation"

urlpatterns = [
    path("enquetes/", views.survey_list, name="survey_list"),
    path("enquetes/nouvelle/", views.survey_new, name="survey_new"),
    path("enquetes/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("enquetes/<int:pk>/modifier/", views.survey_edit, name="survey_edit"),
    path("enquetes/<int:pk>/etat/", views.survey_status, name="survey_status"),
    path("enquetes/<int:pk>/questions/nouvelle/", views.question_new, name="question_new"),
    path("questions/<int:pk>/", views.question_edit, name="question_edit"),
    path("questions/<int:pk>/supprimer/", views.question_delete, name="question_delete"),
    path("questions/<int:pk>/deplacer/", views.question_move, name="question_move"),
    path("enquetes/<int:pk>/questionnaire.pdf", views.survey_pdf, name="survey_pdf"),
    path("enquetes/<int:pk>/resultats/", views.survey_results, name="survey_results"),
    path(
        "enquetes/<int:pk>/resultats/bloc/",
        views.survey_results_panel,
        name="survey_results_panel",
    ),
    path("enquetes/<int:pk>/resultats.pdf", views.survey_results_pdf, name="survey_results_pdf"),
    path("enquetes/<int:pk>/reponses.csv", views.survey_export_csv, name="survey_export_csv"),
    path("enquetes/<int:pk>/resultats.xlsx", views.survey_export_xlsx, name="survey_export_xlsx"),
    path("saisie/", views.entry_home, name="entry_home"),
    path("saisie/<int:pk>/", views.entry_form, name="entry_form"),
    path("r/<str:token>/", views.public_form, name="public_form"),
    path("comite/", views.committee, name="committee"),
    path("comite/reunions/nouvelle/", views.meeting_new, name="meeting_new"),
    path("comite/reunions/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("comite/reunions/<int:pk>/modifier/", views.meeting_edit, name="meeting_edit"),
    path("comite/reunions/<int:pk>/decisions/", views.decision_add, name="decision_add"),
    path("comite/decisions/<int:pk>/suivi/", views.decision_status, name="decision_status"),
    path("comite/demandes/nouvelle/", views.request_new, name="request_new"),
    path("comite/demandes/<int:pk>/etat/", views.request_action, name="request_action"),
    path("comite/accueil-direction/", views.direction_panel, name="direction_panel"),
]
