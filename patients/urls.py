from django.urls import path

from patients import views, views_identity

app_name = "patients"

urlpatterns = [
    path("", views.search, name="search"),
    path("resultats/", views.search_results, name="search_results"),
    path("nouveau/", views.create, name="create"),
    path("nouveau/doublons/", views.duplicate_check, name="duplicate_check"),
    path("droits-a-suivre/", views.rights_worklist, name="rights_worklist"),
    path("doublons/", views.duplicates_list, name="duplicates"),
    path(
        "doublons/<int:first_id>/<int:second_id>/pas-un-doublon/",
        views.not_duplicate,
        name="not_duplicate",
    ),
    path(
        "doublons/pas-des-doublons/<int:mark_id>/annuler/",
        views.not_duplicate_undo,
        name="not_duplicate_undo",
    ),
    path("import/", views.import_start, name="import"),
    path("import/<str:token>/", views.import_review, name="import_review"),
    path("fusion/<int:keep_id>/<int:merged_id>/", views.merge, name="merge"),
    path("<int:patient_id>/", views.detail, name="detail"),
    path("<int:patient_id>/modifier/", views.edit, name="edit"),
    path("<int:patient_id>/identite/", views_identity.identity_page, name="identity"),
    path("<int:patient_id>/droits/ajouter/", views.coverage_add, name="coverage_add"),
    path(
        "<int:patient_id>/droits/<int:coverage_id>/clore/",
        views.coverage_end,
        name="coverage_end",
    ),
    path("<int:patient_id>/export.json", views.export_json, name="export_json"),
    path("<int:patient_id>/export.pdf", views.export_pdf, name="export_pdf"),
    path("<int:patient_id>/anonymiser/", views.anonymise, name="anonymise"),
]
